// The language tabs of the translation editor open on the document's authoritative language,
// whatever the admin's own language: modeltranslation would otherwise open the tab of the
// admin's language and hide the authoritative text in the English admin.
window.MODELTRANSLATION_AUTO_SELECT_CURRENT_LANGUAGE = false;

// Without more, the first tab (Vietnamese, the first of LANGUAGES) is open. A version's form
// names its document's authoritative language in data-authoritative-language, and
// modeltranslation's language switch turns every tab to it. The switch is put into the page
// after its handler is bound and the tabs are built, in a jQuery ready handler that may run
// after the window's load event: so act when the switch appears. A native event, because the
// switch's handler is bound by another copy of jQuery than the one on `window` when this loads.
(function () {
  "use strict";

  function turnToAuthoritative() {
    var marker = document.querySelector("[data-authoritative-language]");
    var main = document.getElementById("modeltranslation-main-switch");
    if (!marker || !main) {
      return false;
    }
    var wanted = marker.getAttribute("data-authoritative-language");
    Array.prototype.forEach.call(main.options, function (option) {
      if (option.textContent.trim().toLowerCase() === wanted && main.value !== option.value) {
        main.value = option.value;
        main.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-authoritative-language]") || turnToAuthoritative()) {
      return;
    }
    var observer = new MutationObserver(function () {
      if (turnToAuthoritative()) {
        observer.disconnect();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
})();
