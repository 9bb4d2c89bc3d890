def run_job(job_id):
    raise NotImplementedError
