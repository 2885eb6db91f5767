// bucketdesk: small progressive enhancements. Every page works without this file.
"use strict";

// Buttons with data-confirm ask before submitting their form.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A form cannot be sent twice by double-clicking.
document.addEventListener("submit", (event) => {
  if (event.defaultPrevented) return;
  const form = event.target;
  window.setTimeout(() => {
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
  }, 0);
});

// The connect form shows the fields the chosen provider needs.
(() => {
  const provider = document.getElementById("provider");
  if (!provider) return;
  const region = document.getElementById("region");
  const update = () => {
    document.querySelectorAll("[data-for-provider]").forEach((el) => {
      el.hidden = !el.dataset.forProvider.split(" ").includes(provider.value);
    });
    if (provider.value === "r2" && region && (region.value === "" || region.value === "us-east-1")) region.value = "auto";
    if (provider.value !== "r2" && region && region.value === "auto") region.value = "us-east-1";
  };
  provider.addEventListener("change", update);
  update();
})();
