// The language tabs of the translation editor open on the document's authoritative language,
// whatever the admin's own language: modeltranslation would otherwise open the tab of the
// admin's language and hide the authoritative text in the English admin.
window.MODELTRANSLATION_AUTO_SELECT_CURRENT_LANGUAGE = false;

// Without more, the first tab (Vietnamese, the first of LANGUAGES) is open. A version's form
// names its document's authoritative language in data-authoritative-language; once
// modeltranslation has built its tabs (in its ready handler), its language switch turns
// every tab to that language. A native event: the switch's handler is bound by another
// copy of jQuery than the one on `window` when this file loads.
window.addEventListener("load", function () {
  var marker = document.querySelector("[data-authoritative-language]");
  var main = document.getElementById("modeltranslation-main-switch");
  if (!marker || !main) {
    return;
  }
  var wanted = marker.getAttribute("data-authoritative-language");
  Array.prototype.forEach.call(main.options, function (option) {
    if (option.textContent.trim().toLowerCase() === wanted && main.value !== option.value) {
      main.value = option.value;
      main.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
});
