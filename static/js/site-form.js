// Site form: when the province changes, load its wards into the ward select (htmx-free, one fetch).
document.addEventListener("DOMContentLoaded", function () {
  var province = document.querySelector("[data-province-select]");
  var ward = document.querySelector("[data-ward-select]");
  if (!province || !ward) return;
  province.addEventListener("change", function () {
    var url = ward.form.dataset.wardsUrl || "/gis/wards/";
    fetch(url + "?province=" + encodeURIComponent(province.value), { credentials: "same-origin" })
      .then(function (response) {
        // An expired session redirects to the login page: reload so the user logs in again.
        if (response.redirected) { window.location.reload(); return Promise.reject("login"); }
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) { ward.innerHTML = html; })
      .catch(function () { ward.innerHTML = ""; });
  });
});
