/* Optional enhancements for the legal centre; every page works without this file. */
(function () {
  "use strict";
  var doc = document;
  var hashId = function () { return decodeURIComponent(location.hash.slice(1)); };

  // Phones: the table of contents starts collapsed (without JavaScript it stays open).
  var toc = doc.querySelector("details.toc");
  var narrow = window.matchMedia && matchMedia("(max-width: 64rem)");
  if (toc && narrow) {
    if (narrow.matches) toc.removeAttribute("open");
    narrow.addEventListener("change", function () { toc.open = !narrow.matches; });
  }

  // Language switcher: keep the reader's section (both languages share the anchors)
  // and remember the choice for "/".
  var switchers = doc.querySelectorAll(".language-switcher a[data-language]");
  function carryHash() {
    switchers.forEach(function (a) { a.hash = location.hash; });
  }
  carryHash();
  window.addEventListener("hashchange", carryHash);
  switchers.forEach(function (a) {
    a.addEventListener("click", function () {
      carryHash();
      doc.cookie = "django_language=" + encodeURIComponent(a.getAttribute("data-language")) +
        "; path=/; max-age=31536000; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    });
  });

  // Comparisons: j / k go to the next / previous change, as the "Next change" and
  // "Previous change" links do without JavaScript.
  var changes = Array.prototype.slice.call(doc.querySelectorAll(".redline-section[id][tabindex]"));
  if (changes.length) {
    doc.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
      if (event.key !== "j" && event.key !== "k") return;
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      var index = changes.indexOf(doc.getElementById(hashId()));
      if (index < 0) {
        // Nothing chosen yet: start from the first change below the top of the screen.
        index = changes.findIndex(function (c) { return c.getBoundingClientRect().top > 1; });
        index = event.key === "j" ? index - 1 : (index < 0 ? changes.length : index);
      }
      var next = changes[index + (event.key === "j" ? 1 : -1)];
      if (!next) return;
      event.preventDefault();
      location.hash = next.id;
      next.focus();
    });
  }

  // Table of contents: mark the entry of the section being read.
  if (!toc || !("IntersectionObserver" in window)) return;
  var links = {};
  var headings = [];
  toc.querySelectorAll('a[href^="#"]').forEach(function (a) {
    var heading = doc.getElementById(decodeURIComponent(a.getAttribute("href").slice(1)));
    if (heading) {
      links[heading.id] = a;
      headings.push(heading);
    }
  });
  var current = null;
  function mark(link) {
    if (link === current) return;
    if (current) {
      current.classList.remove("is-current");
      current.removeAttribute("aria-current");
    }
    current = link || null;
    if (current) {
      current.classList.add("is-current");
      current.setAttribute("aria-current", "true");
    }
  }
  function update() {
    // The section being read is the last whose heading has passed the top third...
    var found = null;
    headings.forEach(function (h) {
      if (h.getBoundingClientRect().top <= innerHeight / 3) found = h;
    });
    // ...unless a later one was chosen by its anchor and is on screen: the last
    // sections of a page may never scroll that far up.
    var target = links[hashId()] && doc.getElementById(hashId());
    if (target && headings.indexOf(target) > headings.indexOf(found)) {
      var top = target.getBoundingClientRect().top;
      if (top >= 0 && top < innerHeight) found = target;
    }
    mark(found && links[found.id]);
  }
  var observer = new IntersectionObserver(update, { rootMargin: "0px 0px -66% 0px" });
  headings.forEach(function (h) { observer.observe(h); });
  window.addEventListener("hashchange", function () { if (links[hashId()]) mark(links[hashId()]); });
})();
