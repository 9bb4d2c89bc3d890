"""Annual reports (forms 05.A / 05.B of Annex VI of Circular 02/2022/TT-BTNMT): prefill from the year's manifests
(prefill), submission, freezing and versions (services), who has and has not submitted (selectors), the PDF and
XLSX of a submitted report (documents) and the January reminders (tasks)."""
