// bucketdesk: what this browser chose, applied before the page paints, so
// nothing moves once it shows: the theme (light or dark; none follows the
// system), a hidden sidebar, the grid view; and the `js` class, which shows
// the controls that need the script (app.js makes them work).
"use strict";
document.documentElement.classList.add("js");
try {
  const root = document.documentElement;
  const theme = window.localStorage.getItem("bucketdesk-theme");
  if (theme === "light" || theme === "dark") root.dataset.theme = theme;
  if (window.localStorage.getItem("bucketdesk-sidebar") === "hidden") root.dataset.hideSidebar = "";
  if (window.localStorage.getItem("bucketdesk-view") === "grid") root.dataset.view = "grid";
} catch (_) {
  // storage refused (private mode): the defaults it is
}
