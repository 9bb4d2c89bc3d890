// Driver pages (phones): add the phone's position to the form when the browser allows it, avoid double
// taps, and say clearly when there is no network. Messages come translated from data-* attributes.
// Resending a form is safe: it carries an idempotency key, so the server records it once.
(function () {
  "use strict";

  var RETRY_AFTER_MS = 20000; // a stuck request on a poor network: let the driver press again

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function submitButtons(form) {
    return form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  }

  function setButtons(form, disabled) {
    each(submitButtons(form), function (button) { button.disabled = disabled; });
  }

  function init() {
    var forms = document.querySelectorAll("form[data-driver-form]");
    if (!forms.length) return;
    var geoStatus = document.querySelector("[data-geo-status]");
    var offline = document.querySelector("[data-offline-message]");

    function say(element, text) {
      if (element && text) element.textContent = text;
    }

    function setField(name, value) {
      each(forms, function (form) {
        var input = form.querySelector('[data-geo="' + name + '"]');
        if (input) input.value = value;
      });
    }

    // Position: one reading with high accuracy; the page works without it.
    if (navigator.geolocation && geoStatus) {
      say(geoStatus, geoStatus.dataset.msgWaiting);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var coords = position.coords;
          setField("latitude", coords.latitude.toFixed(6));
          setField("longitude", coords.longitude.toFixed(6));
          setField("accuracy", (Math.round(coords.accuracy * 10) / 10).toString());
          say(geoStatus, (geoStatus.dataset.msgOk || "").replace("{accuracy}", Math.round(coords.accuracy)));
        },
        function () { say(geoStatus, geoStatus.dataset.msgFailed); },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
      );
    }

    // Network: warn when offline; when it returns, ask to press again.
    function showOffline() {
      if (!offline) return;
      say(offline, offline.dataset.msgOffline);
      offline.hidden = false;
    }
    window.addEventListener("offline", showOffline);
    window.addEventListener("online", function () {
      if (offline && !offline.hidden) say(offline, offline.dataset.msgOnline);
    });
    if (navigator.onLine === false) showOffline();

    // One tap sends once: disable the button after the first submit (after the browser has read it).
    each(forms, function (form) {
      form.addEventListener("submit", function (event) {
        if (navigator.onLine === false) {
          event.preventDefault();
          showOffline();
          return;
        }
        if (form.dataset.sending === "1") {
          event.preventDefault();
          return;
        }
        form.dataset.sending = "1";
        window.setTimeout(function () { setButtons(form, true); }, 0);
        window.setTimeout(function () {
          form.dataset.sending = "";
          setButtons(form, false);
        }, RETRY_AFTER_MS);
      });
    });

    // Back/forward cache: a page shown again must be usable again.
    window.addEventListener("pageshow", function () {
      each(forms, function (form) {
        form.dataset.sending = "";
        setButtons(form, false);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
