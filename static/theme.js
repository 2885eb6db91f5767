// bucketdesk: the theme this browser chose (light or dark; none follows the
// system), applied before the page paints. The switch is in app.js.
"use strict";
try {
  const theme = window.localStorage.getItem("bucketdesk-theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch (_) {
  // storage refused (private mode): the system's theme it is
}
