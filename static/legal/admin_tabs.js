// The language tabs of the translation editor open on the first language, Vietnamese, the
// authoritative text, whatever the admin's own language (modeltranslation would otherwise
// open the tab of the admin's language and hide the authoritative text in the English admin).
window.MODELTRANSLATION_AUTO_SELECT_CURRENT_LANGUAGE = false;
