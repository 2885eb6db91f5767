// bucketdesk: small progressive enhancements. Every page works without this
// file except uploading from the bucket page, which says so when it is off.
"use strict";

// Buttons with data-confirm ask before submitting their form.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Toasts: short confirmations near the top of the window, where they are
// seen whatever the page's length, and read out by screen readers.
const toast = (text, kind = "notice") => {
  let region = document.querySelector("[data-toasts]");
  if (!region) {
    region = document.createElement("div");
    region.className = "toasts";
    region.dataset.toasts = "";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.appendChild(region);
  }
  const item = document.createElement("div");
  item.className = `toast ${kind}`;
  if (typeof text === "string") item.textContent = text;
  else item.append(text);
  region.appendChild(item);
  window.setTimeout(() => item.remove(), kind === "error" ? 12000 : 6000);
  return item;
};

// "You were signed out", with a way to sign in and come back to this page.
const signedOut = () => {
  const words = document.createElement("span");
  const back = encodeURIComponent(window.location.pathname + window.location.search);
  words.append("You were signed out. ");
  const link = document.createElement("a");
  link.href = `/login?next=${back}`;
  link.textContent = "Sign in";
  words.append(link, " and come back to this page.");
  return words;
};

// A form cannot be sent twice by double-clicking.
document.addEventListener("submit", (event) => {
  if (event.defaultPrevented) return;
  const form = event.target;
  window.setTimeout(() => {
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
  }, 0);
});

// Renames and moves follow their progress: a folder of thousands of files
// takes a while. The script sends the form itself and asks for progress
// lines ({"total", "copied"}, then {"done": page} or {"problem": words});
// anything else (signed out, refused) sends the form the plain way.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  const submitter = event.submitter;
  if (event.defaultPrevented || form.method.toLowerCase() !== "post") return;
  const action = new URL((submitter && submitter.getAttribute("formaction")) || form.action, window.location.href);
  if (!/^\/w\/[^/]+\/b\/[^/]+\/(move|rename)$/.test(action.pathname) || !window.TextDecoderStream) return;
  event.preventDefault();
  // refused before it began (signed out, another tab's token): the plain
  // form shows the server's own page about it (no submit event, no question)
  const plainly = () => {
    panel.remove();
    form.action = action.href;
    form.submit();
  };
  const panel = document.createElement("div");
  panel.className = "move-progress";
  panel.setAttribute("role", "status");
  const words = document.createElement("p");
  words.textContent = "Moving: listing what moves…";
  const bar = document.createElement("progress");
  panel.append(words, bar);
  document.body.appendChild(panel);
  const stopped = (text) => {
    panel.setAttribute("role", "alert");
    panel.classList.add("error");
    words.textContent = text;
    bar.remove();
    const close = document.createElement("button");
    close.type = "button"; close.className = "secondary small"; close.textContent = "Close";
    close.addEventListener("click", () => { panel.remove(); window.location.reload(); });
    panel.appendChild(close);
    close.focus();
  };
  let answer;
  try {
    answer = await fetch(action, { method: "POST", body: new URLSearchParams(new FormData(form, submitter)),
      headers: { Accept: "application/x-ndjson" } });
  } catch (e) {
    // it may have reached the server: not sent again
    stopped("The connection broke while moving. Reload the page in a moment to see where things are.");
    return;
  }
  if (!(answer.headers.get("content-type") || "").includes("application/x-ndjson")) { plainly(); return; }
  const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    let chunk;
    try { chunk = await reader.read(); } catch (e) { stopped("The connection broke while moving. The move goes on on the server: reload the page in a moment to see where things are."); return; }
    if (chunk.done) break;
    buffered += chunk.value;
    const lines = buffered.split("\n");
    buffered = lines.pop();
    for (const line of lines.filter(Boolean)) {
      let step;
      try { step = JSON.parse(line); } catch (e) { stopped("The server's answer was garbled. Reload the page to see where things are."); return; }
      if (step.done) { window.location.assign(step.done); return; }
      if (step.problem) { stopped(step.problem); return; }
      if (step.total) {
        bar.max = step.total; bar.value = step.copied;
        words.textContent = step.copied < step.total
          ? `Moving: ${step.copied.toLocaleString()} of ${step.total.toLocaleString()} files copied`
          : `Moving: all ${step.total.toLocaleString()} files copied; removing them from the old place…`;
      }
    }
  }
  stopped("The server stopped answering while moving. Reload the page to see where things are.");
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
  // an access key, or an IAM role (offered when bucketdesk has an AWS identity)
  const signing = document.querySelectorAll('input[name="signing"]');
  const showSigning = () => {
    const chosen = [...signing].find((radio) => radio.checked)?.value || "key";
    document.querySelectorAll("[data-for-signing]").forEach((el) => {
      el.hidden = el.dataset.forSigning !== chosen;
    });
  };
  if (signing.length) {
    signing.forEach((radio) => radio.addEventListener("change", showSigning));
    showSigning();
  }
})();

// The file browser: filter and sort this page, list or grid, keyboard
// navigation, selecting (click, Shift and Ctrl), the selection's bar,
// dragging files onto a folder, and uploads with progress and cancel.
(() => {
  const browser = document.getElementById("browser");
  if (!browser) return;
  const listing = browser.querySelector("[data-listing]");
  const rows = () => listing ? Array.from(listing.tBodies[0].rows) : [];

  const filter = browser.querySelector("[data-filter]");
  if (filter) filter.addEventListener("input", () => {
    const needle = filter.value.toLowerCase();
    rows().forEach((row) => { row.hidden = !row.dataset.name.toLowerCase().includes(needle); });
  });

  // sorting keeps folders first, whatever the order
  browser.querySelectorAll("[data-sort]").forEach((button) => {
    let ascending = button.dataset.sort !== "name";
    button.addEventListener("click", () => {
      const field = button.dataset.sort;
      const value = (row) => (field === "size" ? Number(row.dataset.size) : row.dataset[field].toLowerCase());
      const sorted = rows().sort((a, b) => {
        const folders = ("folder" in b.dataset) - ("folder" in a.dataset);
        if (folders) return folders;
        const x = value(a);
        const y = value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      listing.querySelectorAll("th[aria-sort]").forEach((th) => th.removeAttribute("aria-sort"));
      button.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
      ascending = !ascending;
      sorted.forEach((row) => listing.tBodies[0].appendChild(row));
    });
  });

  // list or grid, remembered by this browser
  // (theme.js applied the remembered one before the page painted)
  const views = browser.querySelector("[data-view-switch]");
  if (views && listing) {
    const show = (view) => {
      if (view === "grid") document.documentElement.dataset.view = "grid";
      else delete document.documentElement.dataset.view;
      views.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
    };
    show(document.documentElement.dataset.view || "list");
    views.addEventListener("click", (event) => {
      const button = event.target.closest("[data-view]");
      if (!button) return;
      show(button.dataset.view);
      try { window.localStorage.setItem("bucketdesk-view", button.dataset.view); } catch (_) { /* this page keeps it */ }
    });
  }

  // a thumbnail that cannot be made leaves the file's icon
  browser.addEventListener("error", (event) => {
    if (event.target.matches && event.target.matches("img.thumb")) event.target.remove();
  }, true);

  // arrow keys move between the names
  if (listing) listing.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const links = rows().filter((r) => !r.hidden).map((r) => r.querySelector("a.entry"));
    const at = links.indexOf(document.activeElement);
    const next = links[at + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) { next.focus(); event.preventDefault(); }
  });

  // selecting: the boxes, a click on a row (Ctrl or Cmd adds, Shift takes
  // the range from the last one), select all; the bar shows what can be
  // done with what is selected, and only while something is
  const bar = browser.querySelector("[data-selection-bar]");
  const boxes = () => Array.from(browser.querySelectorAll("[data-select]"));
  const ticked = () => boxes().filter((box) => box.checked);
  const selectAll = browser.querySelector("[data-select-all]");
  let anchor = null;
  const refresh = () => {
    const chosen = ticked();
    boxes().forEach((box) => box.closest("tr").classList.toggle("selected", box.checked));
    if (selectAll) {
      selectAll.checked = chosen.length > 0 && chosen.length === boxes().length;
      selectAll.indeterminate = chosen.length > 0 && chosen.length < boxes().length;
    }
    if (!bar) return;
    const folders = chosen.filter((box) => box.value.endsWith("/")).length;
    bar.toggleAttribute("data-active", chosen.length > 0);
    const words = [];
    if (chosen.length - folders) words.push(`${chosen.length - folders} file${chosen.length - folders === 1 ? "" : "s"}`);
    if (folders) words.push(`${folders} folder${folders === 1 ? "" : "s"}`);
    bar.querySelector("[data-selection-count]").textContent = chosen.length ? `${words.join(" and ")} selected:` : "Selected:";
    bar.querySelectorAll("[data-files-only]").forEach((b) => { b.hidden = folders > 0 || chosen.length === 0; });
    bar.querySelector("[data-clear-selection]").hidden = chosen.length === 0;
    details(chosen.length === 1 && !chosen[0].value.endsWith("/") ? chosen[0].value : null);
  };
  // one file selected: its details beside the list (a fragment from the server)
  const detailsPanel = browser.querySelector("[data-details]");
  let shown = null;
  let closedFor = null;
  const details = (key) => {
    if (!detailsPanel) return;
    if (key === null || key === closedFor) {
      detailsPanel.hidden = true;
      shown = null;
      if (key === null) closedFor = null;
      document.body.classList.remove("details-open");
      return;
    }
    if (key === shown) return;
    shown = key;
    fetch(`${browser.dataset.base}/details?key=${encodeURIComponent(key)}`, { headers: { Accept: "text/html" } })
      .then(async (answer) => {
        if (shown !== key) return;
        if (answer.status === 401) { toast(signedOut(), "error"); return; }
        if (!answer.ok) { detailsPanel.hidden = true; return; }
        detailsPanel.innerHTML = await answer.text();
        detailsPanel.hidden = false;
        document.body.classList.add("details-open");
        detailsPanel.querySelector("[data-details-close]").addEventListener("click", () => {
          closedFor = key;
          details(key);
        });
      })
      .catch(() => { detailsPanel.hidden = true; });
  };
  const range = (from, to, checked) => {
    const all = boxes().filter((box) => !box.closest("tr").hidden);
    const [a, b] = [all.indexOf(from), all.indexOf(to)].sort((x, y) => x - y);
    if (a < 0) { to.checked = checked; return; }
    all.slice(a, b + 1).forEach((box) => { box.checked = checked; });
  };
  browser.addEventListener("click", (event) => {
    const box = event.target.closest("[data-select]");
    if (box) {
      if (event.shiftKey && anchor) range(anchor, box, box.checked);
      anchor = box;
      refresh();
      return;
    }
    // a click on a row's empty space selects it, not on its links and buttons
    const row = event.target.closest("tbody tr");
    if (!row || event.target.closest("a, button, input, label")) return;
    const own = row.querySelector("[data-select]");
    if (!own) return;
    if (event.shiftKey && anchor) range(anchor, own, true);
    else if (event.ctrlKey || event.metaKey) own.checked = !own.checked;
    else { boxes().forEach((b) => { b.checked = false; }); own.checked = true; }
    if (!event.shiftKey) anchor = own;
    refresh();
  });
  if (selectAll) selectAll.addEventListener("change", () => {
    boxes().forEach((box) => { if (!box.closest("tr").hidden) box.checked = selectAll.checked; });
    refresh();
  });
  if (bar) {
    bar.querySelector("[data-clear-selection]").addEventListener("click", () => {
      boxes().forEach((box) => { box.checked = false; });
      refresh();
    });
    refresh();
  }
  const downloadSelected = browser.querySelector("[data-download-selected]");
  if (downloadSelected) downloadSelected.addEventListener("click", () => {
    const links = ticked().map((box) => box.dataset.download).filter(Boolean);
    // one after another, each through a same-origin link that redirects to
    // the file's download (frames would be refused by the page's CSP)
    links.forEach((href, i) => window.setTimeout(() => {
      const link = document.createElement("a");
      link.href = href;
      link.download = "";
      document.body.appendChild(link);
      link.click();
      link.remove();
    }, i * 800));
  });

  // dragging files and folders onto a folder of the list moves them there
  // (the selection when the dragged row is part of it)
  const dropMove = browser.querySelector("[data-drop-move]");
  const KEYS = "application/x-bucketdesk-keys";
  if (dropMove && browser.dataset.canEdit === "true") {
    rows().forEach((row) => { row.draggable = true; });
    browser.addEventListener("dragstart", (event) => {
      const row = event.target.closest && event.target.closest("tbody tr[data-key]");
      if (!row) return;
      const own = row.querySelector("[data-select]");
      const keys = own && own.checked ? ticked().map((box) => box.value) : [row.dataset.key];
      event.dataTransfer.setData(KEYS, JSON.stringify(keys));
      event.dataTransfer.effectAllowed = "move";
    });
    const target = (event) => {
      const row = event.target.closest && event.target.closest("tbody tr[data-folder]");
      return row && event.dataTransfer.types.includes(KEYS) ? row : null;
    };
    browser.addEventListener("dragover", (event) => {
      const row = target(event);
      rows().forEach((r) => r.classList.toggle("drop-target", r === row));
      if (row) { event.preventDefault(); event.dataTransfer.dropEffect = "move"; }
    });
    browser.addEventListener("dragend", () => rows().forEach((r) => r.classList.remove("drop-target")));
    browser.addEventListener("drop", (event) => {
      const row = target(event);
      if (!row) return;
      event.preventDefault();
      const keys = JSON.parse(event.dataTransfer.getData(KEYS)).filter((key) => key !== row.dataset.key);
      if (!keys.length) return;
      keys.forEach((key) => {
        const field = document.createElement("input");
        field.type = "hidden"; field.name = "keys"; field.value = key;
        dropMove.appendChild(field);
      });
      const folder = document.createElement("input");
      folder.type = "hidden"; folder.name = "folder"; folder.value = row.dataset.key;
      dropMove.appendChild(folder);
      dropMove.requestSubmit();
    });
  }

  if (browser.dataset.canEdit !== "true") return;
  const base = browser.dataset.base;
  const path = browser.dataset.path;
  const csrf = browser.dataset.csrf;
  const panel = browser.querySelector("[data-uploads]");
  const list = browser.querySelector("[data-upload-list]");
  const overall = browser.querySelector("[data-overall]");
  const overallText = browser.querySelector("[data-overall-text]");
  const running = new Set();
  // files not finished yet, counted from the moment they are picked (each
  // first asks whether its name is free, before its upload starts): the page
  // reloads once, when the last one is done, never between two of them
  let pending = 0;
  let leaving = false;
  let totalBytes = 0;
  let totalFiles = 0;
  let startedAt = 0;
  let doneBytes = new Map();
  const size = (b) => (b < 1000 ? `${Math.round(b)} bytes` : b < 1e6 ? `${(b / 1e3).toFixed(1)} KB`
    : b < 1e9 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e9).toFixed(2)} GB`);
  const duration = (s) => (s < 60 ? `${Math.max(1, Math.round(s))} s` : s < 3600 ? `${Math.round(s / 60)} min`
    : `${(s / 3600).toFixed(1)} h`);

  // n of N files, bytes, speed and time left; then what did not upload
  const updateOverall = () => {
    const done = Array.from(doneBytes.values()).reduce((a, b) => a + b, 0);
    overall.value = totalBytes ? Math.round((done / totalBytes) * 100) : 0;
    const failed = list.querySelectorAll(".failed").length;
    const elapsed = (performance.now() - startedAt) / 1000;
    const speed = elapsed > 0.5 ? done / elapsed : 0;
    const parts = [`${totalFiles - pending} of ${totalFiles} files`, `${size(done)} of ${size(totalBytes)}`];
    if (speed > 0) parts.push(`${size(speed)}/s`);
    if (speed > 0 && totalBytes > done) parts.push(`about ${duration((totalBytes - done) / speed)} left`);
    overallText.textContent = pending
      ? parts.join(" · ")
      : failed ? `${failed} of ${totalFiles} did not upload: see below.` : `Finished: ${totalFiles} files, ${size(totalBytes)}.`;
    if (!pending && !leaving && failed === 0) {
      leaving = true;
      window.setTimeout(() => window.location.assign(`${base}?path=${encodeURIComponent(path)}&done=uploaded`), 400);
    }
  };

  // at most MAX_IN_FLIGHT files at once; the others wait their turn, in order
  const MAX_IN_FLIGHT = 3;
  let inFlight = 0;
  const waiting = [];
  const whenFree = (start) => {
    if (inFlight < MAX_IN_FLIGHT) { inFlight += 1; start(); } else waiting.push(start);
  };
  const free = () => {
    const next = waiting.shift();
    if (next) next(); else inFlight -= 1;
  };

  // Files up to one chunk go in one request. Larger ones go a chunk at a
  // time, each chunk its own request (so a proxy's request-size limit never
  // applies to the file), two at once per file. The server keeps which
  // chunks landed: after a dropped connection only the missing ones are sent
  // again, and after a reload (or on another day) picking the same file
  // (name, size, last-modified) resumes it.
  const CHUNK = Number(browser.dataset.chunkSize) || 8 * 1024 * 1024;
  const CHUNKS_IN_FLIGHT = 2;
  const RETRY_DELAYS = [1, 2, 4, 8, 15, 15, 15, 15, 15, 15]; // about two minutes in all
  const unfinishedKey = `bucketdesk-unfinished:${base}`;

  // ask first whether the name is free: a refusal sent while a large body is
  // still uploading reaches the browser as a broken connection
  const upload = (file, relative, resume) => {
    if (file.size > CHUNK) { sendChunked(file, relative, false, resume); return; }
    const key = path + relative;
    fetch(`${base}/upload?key=${encodeURIComponent(key)}&check=1`, { method: "POST", headers: { "X-CSRF-Token": csrf } })
      .then(async (answer) => {
        if (answer.status === 409) {
          if (window.confirm(await answer.text())) send(file, relative, true);
          else { doneBytes.set(relative, file.size); skipped(relative); }
        } else send(file, relative, false);
      })
      .catch(() => send(file, relative, false));
  };

  const skipped = (relative) => {
    const item = list.querySelector(`[data-key="${CSS.escape(relative)}"]`) || document.createElement("li");
    item.textContent = `${relative}: skipped, a file with that name exists`;
    list.appendChild(item);
    pending -= 1;
    free();
    updateOverall();
  };

  // a file's line: its name, a progress bar and a Cancel button; `finish`
  // ends it with a status (and a Retry button when it failed)
  const fileLine = (relative, retry) => {
    const item = list.querySelector(`[data-key="${CSS.escape(relative)}"]`) || document.createElement("li");
    item.dataset.key = relative;
    item.innerHTML = "";
    const name = document.createElement("span"); name.textContent = relative;
    const bar = document.createElement("progress"); bar.max = 100; bar.value = 0;
    const cancel = document.createElement("button"); cancel.type = "button"; cancel.className = "secondary small"; cancel.textContent = "Cancel";
    const status = document.createElement("span"); status.className = "muted";
    item.append(name, bar, status, cancel);
    list.appendChild(item);
    let ended = false;
    const finish = (text, failed) => {
      if (ended) return;
      ended = true;
      pending -= 1;
      free();
      cancel.remove();
      status.className = "";
      status.textContent = text;
      if (failed) {
        // failures first, each with a way to try again
        item.classList.add("failed");
        list.prepend(item);
        const again = document.createElement("button");
        again.type = "button"; again.className = "secondary small"; again.textContent = "Retry";
        again.addEventListener("click", () => {
          item.classList.remove("failed");
          pending += 1;
          again.remove();
          whenFree(retry);
        });
        item.appendChild(again);
      }
      updateOverall();
    };
    return { item, bar, status, cancel, finish };
  };

  const send = (file, relative, overwrite) => {
    doneBytes.set(relative, 0);
    const line = fileLine(relative, () => send(file, relative, overwrite));
    const xhr = new XMLHttpRequest();
    running.add(xhr);
    line.cancel.addEventListener("click", () => xhr.abort());
    xhr.upload.addEventListener("progress", (e) => { line.bar.value = e.total ? (e.loaded / e.total) * 100 : 0; doneBytes.set(relative, e.loaded); updateOverall(); });
    const finish = (text, failed) => { running.delete(xhr); line.finish(text, failed); };
    xhr.addEventListener("load", () => {
      if (xhr.status === 409 && window.confirm(xhr.responseText)) { running.delete(xhr); send(file, relative, true); return; }
      if (xhr.status === 201) { doneBytes.set(relative, file.size); finish("Done", false); }
      else if (xhr.status === 401) { doneBytes.set(relative, 0); finish("Not uploaded: you were signed out", true); showSignedOut(); }
      else finish(xhr.status === 409 ? "Skipped: exists already" : xhr.responseText || `Failed (${xhr.status})`, true);
    });
    xhr.addEventListener("error", () => finish("Failed: the connection broke", true));
    xhr.addEventListener("abort", () => finish("Cancelled", true));
    const key = path + relative;
    xhr.open("POST", `${base}/upload?key=${encodeURIComponent(key)}${overwrite ? "&overwrite=1" : ""}`);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    if (file.type) xhr.setRequestHeader("Content-Type", file.type);
    xhr.send(file);
  };

  // a refusal the server explained (status and text), or a broken connection (status 0)
  const post = (url, body) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    if (typeof body === "string") xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.addEventListener("load", () => (xhr.status < 300 ? resolve(xhr) : reject({ status: xhr.status, text: xhr.responseText })));
    xhr.addEventListener("error", () => reject({ status: 0, text: "the connection broke" }));
    xhr.send(body);
  });
  const transient = (e) => e.status === 0 || e.status === 408 || e.status === 429 || e.status >= 500
    || /send it again|stopped before it was complete/.test(e.text || "");
  const sleep = (seconds) => new Promise((resolve) => window.setTimeout(resolve, seconds * 1000));
  // refused (signed out, the server restarting) is not "none": the caller decides
  const unfinishedUploads = () => fetch(`${base}/uploads`, { headers: { Accept: "application/json" } })
    .then((answer) => { if (!answer.ok) throw new Error(`the server answered ${answer.status}`); return answer.json(); });
  const sha256 = async (blob) => {
    if (!window.crypto || !window.crypto.subtle) return null; // only in secure contexts
    const digest = await window.crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  };

  const sendChunked = async (file, relative, overwrite, resume) => {
    doneBytes.set(relative, 0);
    const line = fileLine(relative, () => sendChunked(file, relative, overwrite, null));
    const requests = new Set();
    let cancelled = false;
    let upload = null;
    const stopAll = () => { requests.forEach((xhr) => xhr.abort()); requests.clear(); };
    const handle = { abort: () => { cancelled = true; running.delete(handle); stopAll(); if (upload) post(`${base}/uploads/${upload.id}/cancel`).catch(() => {}); line.finish("Cancelled", true); } };
    running.add(handle);
    line.cancel.addEventListener("click", () => handle.abort());
    const fail = (e) => {
      running.delete(handle);
      if (cancelled) return;
      cancelled = true; // the other chunk stops too; Retry starts afresh
      stopAll();
      if (e.status === 401) { line.finish("Not uploaded: you were signed out", true); showSignedOut(); return; }
      line.finish(e.status === 0 ? "Stopped: the connection broke. Retry resumes where it stopped." : e.text || `Failed (${e.status})`, true);
    };
    const key = path + relative;
    const started = { key, size: file.size, last_modified: file.lastModified, content_type: file.type };
    try {
      if (resume) upload = resume;
      else {
        try {
          upload = JSON.parse((await post(`${base}/uploads`, new URLSearchParams({ ...started, overwrite: overwrite ? "1" : "" }).toString())).responseText);
        } catch (e) {
          if (e.status !== 409) throw e;
          if (!window.confirm(e.text)) { running.delete(handle); doneBytes.set(relative, file.size); line.finish("Skipped: exists already", false); return; }
          overwrite = true;
          upload = JSON.parse((await post(`${base}/uploads`, new URLSearchParams({ ...started, overwrite: "1" }).toString())).responseText);
        }
      }
      if (cancelled) { post(`${base}/uploads/${upload.id}/cancel`).catch(() => {}); return; }
      window.localStorage.setItem(unfinishedKey, "1");
      const landed = new Set(upload.landed);
      const moving = new Map(); // chunk number → bytes sent so far
      const lengthOf = (n) => Math.min(upload.part_size, file.size - (n - 1) * upload.part_size);
      const progress = () => {
        let bytes = 0;
        landed.forEach((n) => { bytes += lengthOf(n); });
        moving.forEach((b) => { bytes += b; });
        doneBytes.set(relative, bytes);
        line.bar.value = (bytes / file.size) * 100;
        updateOverall();
      };
      progress();
      const queue = [];
      for (let n = 1; n <= upload.part_count; n += 1) if (!landed.has(n)) queue.push(n);

      // the chunk's bytes go to bucketdesk, or (direct uploads) straight to
      // the bucket with a presigned URL for that one part; a part the
      // browser could not send directly goes through bucketdesk next time,
      // and after two such failures the rest of the file does too
      const throughServer = new Set();
      let directFailures = 0;
      const sendChunk = (n) => {
        const blob = file.slice((n - 1) * upload.part_size, (n - 1) * upload.part_size + lengthOf(n));
        const direct = upload.direct && directFailures < 2 && !throughServer.has(n);
        // a part URL refused (direct uploads turned off since) also sends the part through bucketdesk
        const target = direct
          ? post(`${base}/uploads/${upload.id}/chunks/${n}/url`).then((answer) => ({ url: JSON.parse(answer.responseText).url, digest: null }),
            (e) => { directFailures += 1; throughServer.add(n); throw { ...e, direct: true }; })
          : sha256(blob).then((digest) => ({ url: `${base}/uploads/${upload.id}/chunks/${n}`, digest }));
        return target.then(({ url, digest }) => new Promise((resolve, reject) => {
          if (cancelled) { reject({ status: -1 }); return; }
          const xhr = new XMLHttpRequest();
          requests.add(xhr);
          const failed = (e) => {
            if (direct) { directFailures += 1; throughServer.add(n); }
            reject({ ...e, direct });
          };
          xhr.upload.addEventListener("progress", (e) => { moving.set(n, e.loaded); progress(); });
          xhr.addEventListener("load", () => {
            requests.delete(xhr);
            moving.delete(n);
            if (xhr.status === 200) { landed.add(n); progress(); resolve(); }
            else { progress(); failed({ status: xhr.status, text: direct ? `The storage service refused chunk ${n} (${xhr.status}).` : xhr.responseText }); }
          });
          xhr.addEventListener("error", () => { requests.delete(xhr); moving.delete(n); progress(); failed({ status: 0, text: "the connection broke" }); });
          xhr.addEventListener("abort", () => { requests.delete(xhr); moving.delete(n); reject({ status: -1 }); });
          if (direct) {
            xhr.open("PUT", url);
          } else {
            xhr.open("POST", url);
            xhr.setRequestHeader("X-CSRF-Token", csrf);
            xhr.setRequestHeader("Content-Type", "application/octet-stream");
            if (digest) xhr.setRequestHeader("X-Chunk-Sha256", digest);
          }
          xhr.send(blob);
        }));
      };

      // a chunk that fails for a passing reason is tried again after a
      // pause, unless the server says it landed after all (the answer was lost)
      const sendWithRetries = async (n) => {
        for (let attempt = 0; ; attempt += 1) {
          try { await sendChunk(n); line.status.textContent = ""; return; } catch (e) {
            if (cancelled || e.status === -1) throw { status: -1 };
            if (e.direct) { attempt -= 1; continue; } // at once, through bucketdesk (not counted as a try)
            if (!transient(e) || attempt >= RETRY_DELAYS.length) throw e;
            line.status.textContent = `connection lost; trying again in ${RETRY_DELAYS[attempt]} s`;
            await sleep(RETRY_DELAYS[attempt]);
            if (cancelled) throw { status: -1 };
            const now = await unfinishedUploads().catch(() => null);
            const known = now && now.find((u) => u.id === upload.id);
            if (now && !known) throw { status: 404, text: "This upload is not under way any more: start it again." };
            if (known) known.landed.forEach((m) => landed.add(m));
            if (landed.has(n)) { progress(); line.status.textContent = ""; return; }
          }
        }
      };
      const worker = async () => {
        while (queue.length && !cancelled) {
          const n = queue.shift();
          if (!landed.has(n)) await sendWithRetries(n);
        }
      };
      await Promise.all(Array.from({ length: CHUNKS_IN_FLIGHT }, worker));
      if (cancelled) return;
      line.status.textContent = "joining the chunks…";
      for (let attempt = 0; ; attempt += 1) {
        try { await post(`${base}/uploads/${upload.id}/complete${overwrite ? "?overwrite=1" : ""}`); break; } catch (e) {
          if (e.status === 409 && window.confirm(e.text)) { overwrite = true; continue; }
          if (!transient(e) || attempt >= RETRY_DELAYS.length) throw e;
          await sleep(RETRY_DELAYS[attempt]);
        }
      }
      running.delete(handle);
      doneBytes.set(relative, file.size);
      line.finish("Done", false);
    } catch (e) {
      if (e && e.status === -1) return;
      fail(e && "status" in e ? e : { status: 0, text: String(e) });
    }
  };

  // uploads of this person that stopped before they finished (in this or
  // another browser): listed with a way to discard each; picking the same
  // file again resumes it
  const unfinishedBox = browser.querySelector("[data-unfinished]");
  const showUnfinished = (uploads) => {
    const box = unfinishedBox.querySelector("[data-unfinished-list]");
    box.innerHTML = "";
    uploads.forEach((u) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = `${u.key}: ${Math.floor((u.landed_bytes / u.size) * 100)}% of ${size(u.size)}`;
      const discard = document.createElement("button");
      discard.type = "button"; discard.className = "secondary small"; discard.textContent = "Discard";
      discard.addEventListener("click", () => post(`${base}/uploads/${u.id}/cancel`).then(() => {
        item.remove();
        if (!box.children.length) { unfinishedBox.hidden = true; window.localStorage.removeItem(unfinishedKey); }
      }, (e) => toast(e.text || "Could not discard it; try again.", "error")));
      item.append(name, discard);
      box.appendChild(item);
    });
    unfinishedBox.hidden = uploads.length === 0;
    if (!uploads.length) window.localStorage.removeItem(unfinishedKey);
  };
  if (window.localStorage.getItem(unfinishedKey)) unfinishedUploads().then(showUnfinished, () => {});

  // once per page: the sign-in link above the list of uploads
  const showSignedOut = () => {
    if (panel.querySelector("[data-signed-out]")) return;
    const notice = document.createElement("p");
    notice.className = "error";
    notice.setAttribute("role", "alert");
    notice.dataset.signedOut = "";
    notice.append(signedOut());
    panel.prepend(notice);
  };

  // files picked: those partly uploaded before (same key, size and
  // last-modified) are offered to resume, all with one question
  const start = async (entries) => {
    if (!entries.length) return;
    let earlier = [];
    if (entries.some(({ file }) => file.size > CHUNK)) earlier = await unfinishedUploads().catch(() => []);
    const earlierOf = ({ file, relative }) => earlier.find((u) => u.key === path + relative && u.size === file.size
      && u.last_modified === file.lastModified);
    const partly = entries.filter(earlierOf);
    let resume = false;
    if (partly.length) {
      const names = partly.slice(0, 5).map((e) => `${e.relative} (${Math.floor((earlierOf(e).landed_bytes / e.file.size) * 100)}%)`).join(", ");
      resume = window.confirm(`${partly.length === 1 ? "This file was" : `${partly.length} of these files were`} partly uploaded before: ${names}${partly.length > 5 ? ", …" : ""}. Resume where it stopped? (Cancel starts again from the beginning.)`);
      if (!resume) await Promise.all(partly.map((e) => post(`${base}/uploads/${earlierOf(e).id}/cancel`).catch(() => {})));
      unfinishedBox.hidden = true;
    }
    panel.hidden = false;
    if (!pending) startedAt = performance.now();
    pending += entries.length;
    totalFiles += entries.length;
    entries.forEach((entry) => {
      const { file, relative } = entry;
      totalBytes += file.size;
      const item = document.createElement("li");
      item.dataset.key = relative;
      item.textContent = `${relative}: waiting`;
      list.appendChild(item);
      const from = resume ? earlierOf(entry) : null;
      whenFree(() => upload(file, relative, from || null));
    });
  };

  browser.querySelectorAll("[data-upload-files]").forEach((input) => input.addEventListener("change", () => {
    start(Array.from(input.files).map((file) => ({ file, relative: file.webkitRelativePath || file.name })));
    input.value = "";
  }));
  browser.querySelector("[data-cancel-all]").addEventListener("click", () => {
    // the waiting ones are dropped first, so no new one starts as the running ones stop
    const dropped = waiting.splice(0);
    pending -= dropped.length;
    list.querySelectorAll("li").forEach((item) => {
      if (item.textContent.endsWith(": waiting")) { item.textContent = `${item.dataset.key}: cancelled`; item.classList.add("failed"); }
    });
    running.forEach((request) => request.abort());
    updateOverall();
  });

  // drag and drop, folders included (their relative paths are kept)
  const zone = browser.querySelector("[data-dropzone]");
  const walk = (entry, prefix) => new Promise((resolve) => {
    if (entry.isFile) entry.file((file) => resolve([{ file, relative: prefix + file.name }]), () => resolve([]));
    else if (entry.isDirectory) {
      const reader = entry.createReader();
      const all = [];
      const more = () => reader.readEntries(async (batch) => {
        if (!batch.length) { resolve((await Promise.all(all)).flat()); return; }
        batch.forEach((child) => all.push(walk(child, `${prefix}${entry.name}/`)));
        more();
      }, () => resolve([]));
      more();
    } else resolve([]);
  });
  const fromOutside = (event) => !event.dataTransfer.types.includes(KEYS);
  ["dragenter", "dragover"].forEach((type) => browser.addEventListener(type, (e) => {
    if (!fromOutside(e)) return;
    e.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => browser.addEventListener(type, () => zone.classList.remove("over")));
  browser.addEventListener("drop", async (event) => {
    if (!fromOutside(event)) return;
    event.preventDefault();
    const items = Array.from(event.dataTransfer.items || []).map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (items.length) start((await Promise.all(items.map((entry) => walk(entry, "")))).flat());
    else start(Array.from(event.dataTransfer.files).map((file) => ({ file, relative: file.name })));
  });
})();

// The files of the folder's page, in the order shown, for the previous and
// next file on a file's page (kept for this tab only).
const FOLDER_FILES = "bucketdesk-folder-files";
const rememberFolderFiles = () => {
  const browser = document.getElementById("browser");
  if (!browser || !browser.querySelector("[data-listing]")) return;
  const keys = Array.from(browser.querySelectorAll("[data-listing] tbody tr[data-key]:not([data-folder])"))
    .filter((row) => !row.hidden)
    .map((row) => row.dataset.key);
  try {
    window.sessionStorage.setItem(FOLDER_FILES, JSON.stringify({ base: browser.dataset.base, path: browser.dataset.path, keys }));
  } catch (_) {
    // no previous and next on the file pages
  }
};
rememberFolderFiles();
document.addEventListener("click", (event) => { if (event.target.closest("[data-sort]")) rememberFolderFiles(); });
document.addEventListener("input", (event) => { if (event.target.closest("[data-filter]")) rememberFolderFiles(); });

// A file's page: ← and → (or the links) open the previous and next file of
// its folder as last listed; a click on an image shows it at its real size.
(() => {
  const box = document.querySelector("[data-object]");
  if (!box) return;
  const image = box.querySelector("img[data-zoom]");
  if (image) {
    image.tabIndex = 0;
    image.setAttribute("role", "button");
    const zoom = () => image.closest(".preview").classList.toggle("zoomed");
    image.addEventListener("click", zoom);
    image.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); zoom(); } });
  }
  let folder = null;
  try { folder = JSON.parse(window.sessionStorage.getItem(FOLDER_FILES) || "null"); } catch (_) { folder = null; }
  const key = box.dataset.key;
  const parent = key.slice(0, key.lastIndexOf("/") + 1);
  if (!folder || folder.base !== box.dataset.base || folder.path !== parent) return;
  const at = folder.keys.indexOf(key);
  if (at < 0) return;
  const href = (k) => `${box.dataset.base}/object?key=${encodeURIComponent(k)}`;
  const name = (k) => k.slice(k.lastIndexOf("/") + 1);
  const nav = document.createElement("nav");
  nav.className = "neighbours";
  nav.setAttribute("aria-label", "Other files in this folder");
  const link = (k, text, rel) => {
    const a = document.createElement(k ? "a" : "span");
    if (k) { a.href = href(k); a.rel = rel; }
    a.textContent = k ? text : "";
    return a;
  };
  const previous = folder.keys[at - 1];
  const next = folder.keys[at + 1];
  nav.append(link(previous, `← ${previous && name(previous)}`, "prev"), link(next, `${next && name(next)} →`, "next"));
  box.querySelector(".preview").after(nav);
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, textarea, select, [contenteditable], pre, .table-scroll, .markdown, audio, video")) return;
    const to = { ArrowLeft: previous, ArrowRight: next }[event.key];
    if (to) window.location.assign(href(to));
  });
})();

// Share links: right-click a file (or its "Share link" button) for a
// presigned link, copied to the clipboard, with its expiry shown.
(() => {
  const browser = document.getElementById("browser");
  if (!browser) return;
  const menu = browser.querySelector("[data-menu]");
  const status = browser.querySelector("[data-share-status]");
  if (!menu) return;
  let row = null;
  const hide = () => { menu.hidden = true; };
  // Escape closes the menu and puts the focus back on the file's row
  const close = () => {
    if (menu.hidden) return;
    hide();
    if (row) (row.querySelector("a.entry") || row).focus();
  };
  const show = (target, x, y) => {
    row = target;
    // a folder's menu has what a folder can do, a file's what a file can
    const kind = "folder" in target.dataset ? "folder" : "file";
    menu.querySelectorAll("[data-for]").forEach((item) => { item.hidden = item.dataset.for !== kind; });
    menu.style.left = `${Math.min(x, window.innerWidth - 260)}px`;
    menu.style.top = `${Math.min(y, window.innerHeight - 180)}px`;
    menu.hidden = false;
    menu.querySelector("button:not([hidden])").focus();
  };
  browser.addEventListener("contextmenu", (event) => {
    const target = event.target.closest("tr[data-key]");
    if (!target) return;
    event.preventDefault();
    // the menu key or Shift+F10 has no pointer position: open at the row
    if (event.clientX === 0 && event.clientY === 0) {
      const rect = (event.target.closest("a, button") || target).getBoundingClientRect();
      show(target, rect.left, rect.bottom);
    } else show(target, event.clientX, event.clientY);
  });
  // arrow keys, Home and End move through the menu; Tab leaves it
  menu.addEventListener("keydown", (event) => {
    const items = Array.from(menu.querySelectorAll("button:not([hidden])"));
    const at = items.indexOf(document.activeElement);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[event.key];
    if (to !== undefined) {
      event.preventDefault();
      items[(to + items.length) % items.length].focus();
    } else if (event.key === "Tab") hide();
  });
  browser.addEventListener("click", (event) => {
    const button = event.target.closest("[data-share]");
    if (button) {
      const rect = button.getBoundingClientRect();
      show(button.closest("tr"), rect.left, rect.bottom);
    } else if (!event.target.closest("[data-menu]")) hide();
  });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  const go = (selector, href) => {
    const item = menu.querySelector(selector);
    if (item) item.addEventListener("click", () => { hide(); window.location.assign(href()); });
  };
  const key = () => encodeURIComponent(row.dataset.key);
  const base = browser.dataset.base;
  go("[data-menu-open]", () => row.querySelector("a.entry").href);
  go("[data-menu-revocable]", () => `${base}/links/new?${"folder" in row.dataset ? "folder" : "key"}=${key()}`);
  go("[data-menu-rename]", () => ("folder" in row.dataset ? `${base}/rename?key=${key()}` : `${row.querySelector("a.entry").href}#rename`));
  go("[data-menu-delete]", () => `${base}/delete?key=${key()}`);
  go("[data-menu-zip]", () => `${base}/zip?path=${encodeURIComponent(browser.dataset.path)}&keys=${key()}`);
  menu.querySelector("[data-menu-download]").addEventListener("click", () => {
    hide();
    window.location.assign(row.dataset.downloadHref);
  });
  menu.querySelectorAll("[data-menu-share]").forEach((button) => button.addEventListener("click", async () => {
    hide();
    const body = new URLSearchParams({ key: row.dataset.key, expires: button.dataset.menuShare });
    const answer = await fetch(`${browser.dataset.base}/share`, {
      method: "POST",
      headers: { "X-CSRF-Token": browser.dataset.csrf, "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    if (answer.status === 401) { toast(signedOut(), "error"); return; }
    if (!answer.ok) { toast(`${row.dataset.name}: ${await answer.text()}`, "error"); return; }
    const link = await answer.json();
    try {
      await navigator.clipboard.writeText(link.url);
      toast(`Link to ${row.dataset.name} copied. It works until ${link.expires_at}.`);
    } catch {
      // no clipboard (an http page, or refused): the link is shown on the page to copy by hand
      status.hidden = false;
      status.className = "notice";
      status.textContent = `Link to ${row.dataset.name}, valid until ${link.expires_at}: ${link.url}`;
    }
  }));
})();

// Copy buttons: their own text to copy (data-copy-text), or a field's or
// element's (data-copy-from names it).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-text], [data-copy-from]");
  if (!button) return;
  const source = button.dataset.copyFrom && document.querySelector(button.dataset.copyFrom);
  const text = button.dataset.copyText ?? source.value ?? source.textContent;
  navigator.clipboard.writeText(text).then(
    () => { button.textContent = "Copied"; },
    () => { window.prompt("Copy this:", text); },
  );
});

// An upload link's page: files chosen or dropped are sent one after another,
// each with its progress, and the server's answer (received, renamed,
// refused) is shown under it, with how many of them are done.
(() => {
  const box = document.querySelector("[data-upload-link]");
  if (!box) return;
  const input = box.querySelector("[data-link-files]");
  const zone = box.querySelector("[data-dropzone]");
  const list = box.querySelector("[data-arrived]");
  const summary = box.querySelector("[data-link-summary]");
  const maxBytes = Number(box.dataset.maxBytes);
  let total = 0;
  let done = 0;
  let queue = Promise.resolve();
  const say = () => { summary.textContent = `${done} of ${total} files sent`; };
  const sendOne = (file) => new Promise((resolve) => {
    const item = document.createElement("li");
    const name = document.createElement("span"); name.textContent = file.name;
    const bar = document.createElement("progress"); bar.max = 100; bar.value = 0;
    item.append(name, bar);
    list.appendChild(item);
    const end = (text, ok) => {
      item.className = ok ? "done" : "failed";
      item.textContent = text;
      done += 1;
      say();
      resolve();
    };
    if (maxBytes && file.size > maxBytes) { end(`${file.name}: too large for this link.`, false); return; }
    const xhr = new XMLHttpRequest();
    xhr.upload.addEventListener("progress", (e) => { if (e.total) bar.value = (e.loaded / e.total) * 100; });
    xhr.addEventListener("load", () => end(xhr.responseText || `${file.name}: not sent (${xhr.status}).`, xhr.status === 201));
    xhr.addEventListener("error", () => end(`${file.name}: the connection failed. Try again.`, false));
    xhr.open("POST", `${box.dataset.uploadLink}?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader("X-CSRF-Token", box.dataset.csrf);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.send(file);
  });
  const start = (files) => {
    if (!files.length) return;
    total += files.length;
    say();
    files.forEach((file) => { queue = queue.then(() => sendOne(file)); });
  };
  input.addEventListener("change", () => {
    const files = Array.from(input.files);
    input.value = "";
    start(files);
  });
  ["dragenter", "dragover"].forEach((type) => box.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((type) => box.addEventListener(type, () => zone.classList.remove("over")));
  box.addEventListener("drop", (event) => {
    event.preventDefault();
    start(Array.from(event.dataTransfer.files));
  });
})();

// Times in the viewer's time zone: "2026-12-04 21:33 UTC", as pages write
// them, becomes the viewer's clock time, with the UTC time on hover.
(() => {
  const pattern = /(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))? UTC/;
  const pad = (n) => String(n).padStart(2, "0");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!pattern.test(node.nodeValue)) continue;
    if (node.parentElement.closest("script, style, textarea, pre, code, time, option")) continue;
    found.push(node);
  }
  found.forEach((first) => {
    let node = first;
    let match = node.nodeValue.match(pattern);
    while (match) {
      const [all, y, mo, d, h, mi, s] = match;
      const at = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +(s || 0)));
      const time = document.createElement("time");
      time.dateTime = at.toISOString();
      time.title = all;
      time.textContent = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} `
        + `${pad(at.getHours())}:${pad(at.getMinutes())}${s ? `:${pad(at.getSeconds())}` : ""}`;
      const rest = node.splitText(match.index);
      rest.nodeValue = rest.nodeValue.slice(all.length);
      rest.parentNode.insertBefore(time, rest);
      node = rest;
      match = node.nodeValue.match(pattern);
    }
  });
})();

// The theme switch: the system's theme, dark or light, remembered by this
// browser (theme.js applies it on the next page before it paints).
(() => {
  const button = document.querySelector("[data-theme-switch]");
  if (!button) return;
  const order = ["system", "dark", "light"];
  const current = () => document.documentElement.dataset.theme || "system";
  const words = { system: "Auto", dark: "Dark", light: "Light" };
  const show = () => {
    button.textContent = `◐ ${words[current()]}`;
    button.title = `Theme: ${words[current()].toLowerCase()} (click to change)`;
    button.setAttribute("aria-label", `Theme: ${words[current()].toLowerCase()}. Change the theme`);
  };
  button.addEventListener("click", () => {
    const next = order[(order.indexOf(current()) + 1) % order.length];
    if (next === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = next;
    try {
      if (next === "system") window.localStorage.removeItem("bucketdesk-theme");
      else window.localStorage.setItem("bucketdesk-theme", next);
    } catch (_) {
      // not remembered: this page keeps it
    }
    show();
  });
  show();
})();

// The sidebar: on wide screens a column the button hides (remembered by
// this browser); on narrower ones a drawer the button opens, closed by
// Escape, a click beside it or the button again.
(() => {
  const button = document.querySelector("[data-sidebar-toggle]");
  const sidebar = document.querySelector("[data-sidebar]");
  if (!button || !sidebar) return;
  const shell = sidebar.closest(".shell");
  const narrow = window.matchMedia("(max-width: 900px)");
  // (theme.js applied a remembered "hidden" before the page painted)
  const root = document.documentElement;
  const open = () => (narrow.matches ? shell.classList.contains("sidebar-open") : !("hideSidebar" in root.dataset));
  const show = () => button.setAttribute("aria-expanded", String(open()));
  button.addEventListener("click", () => {
    if (narrow.matches) {
      shell.classList.toggle("sidebar-open");
      if (open()) (sidebar.querySelector("a.current") || sidebar.querySelector("a")).focus();
    } else {
      if ("hideSidebar" in root.dataset) delete root.dataset.hideSidebar;
      else root.dataset.hideSidebar = "";
      try { window.localStorage.setItem("bucketdesk-sidebar", "hideSidebar" in root.dataset ? "hidden" : "shown"); } catch (_) { /* this page keeps it */ }
    }
    show();
  });
  const close = () => { if (narrow.matches && open()) { shell.classList.remove("sidebar-open"); show(); button.focus(); } };
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  document.addEventListener("click", (event) => {
    if (narrow.matches && open() && !sidebar.contains(event.target) && !button.contains(event.target)) close();
  });
  narrow.addEventListener("change", show);
  show();
})();

// Popovers (<details class="popover">, which open without the script too):
// the first field or link takes the focus; a click elsewhere or Escape
// closes them, Escape giving the focus back to their button.
(() => {
  const popovers = () => Array.from(document.querySelectorAll("details.popover[open]"));
  document.addEventListener("toggle", (event) => {
    const details = event.target;
    if (!details.matches || !details.matches("details.popover") || !details.open) return;
    const first = details.querySelector(".popover-panel input:not([type=hidden]), .popover-panel a, .popover-panel button");
    if (first) first.focus();
  }, true);
  document.addEventListener("click", (event) => {
    popovers().forEach((details) => { if (!details.contains(event.target)) details.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    popovers().forEach((details) => { details.open = false; details.querySelector("summary").focus(); });
  });
})();

// Error pages: a way back to the page before, when there is one.
(() => {
  const back = document.querySelector("[data-back]");
  if (!back || window.history.length < 2) return;
  back.hidden = false;
  back.addEventListener("click", () => window.history.back());
})();

// Passkeys: a button with data-passkey="add" adds one to the account,
// "sign-in" signs in with one alone, "second-factor" uses one as the
// second step. The server sends WebAuthn options as JSON (bytes in
// base64url) and takes the browser's answer back the same way.
(() => {
  const buttons = document.querySelectorAll("[data-passkey]");
  if (buttons.length === 0) return;
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const bytes = (value) => {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
  };
  const ids = (list) => (list || []).map((c) => ({ ...c, id: bytes(c.id) }));
  const forCreate = (o) => ({ ...o, challenge: bytes(o.challenge), user: { ...o.user, id: bytes(o.user.id) },
    excludeCredentials: ids(o.excludeCredentials) });
  const forGet = (o) => ({ ...o, challenge: bytes(o.challenge), allowCredentials: ids(o.allowCredentials) });
  const answer = (credential) => {
    const r = credential.response;
    const response = {};
    for (const name of ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"]) {
      if (r[name]) response[name] = text(r[name]);
    }
    return { id: credential.id, rawId: text(credential.rawId), type: credential.type, response,
      extensions: credential.getClientExtensionResults() };
  };
  const post = async (url, csrf, body = {}) => {
    const reply = await fetch(url, { method: "POST", body: JSON.stringify(body),
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json", "Accept": "application/json" } });
    let data = {};
    try { data = await reply.json(); } catch { /* an error page */ }
    if (!reply.ok) throw new Error(data.error || `bucketdesk answered ${reply.status}. Reload the page and try again.`);
    return data;
  };
  for (const button of buttons) {
    const status = document.getElementById(button.dataset.status);
    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.disabled = true;
      if (status) status.textContent = "This browser cannot use passkeys.";
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      const { passkey: kind, csrf } = button.dataset;
      if (status) status.textContent = "";
      button.disabled = true;
      try {
        let done;
        if (kind === "add") {
          const name = document.getElementById("passkey-name").value.trim();
          if (!name) throw new Error("Name the passkey first, for example \u201cWork laptop\u201d.");
          const options = await post("/account/passkeys/options", csrf);
          const credential = await navigator.credentials.create({ publicKey: forCreate(options.publicKey) });
          done = await post("/account/passkeys", csrf, { name, credential: answer(credential) });
        } else {
          const base = kind === "sign-in" ? "/login/passkey" : "/login/second-factor/passkey";
          const options = await post(`${base}/options`, csrf);
          const credential = await navigator.credentials.get({ publicKey: forGet(options.publicKey) });
          done = await post(base, csrf, { credential: answer(credential), next: button.dataset.next || "" });
        }
        window.location.assign(done.next);
      } catch (error) {
        if (status) {
          status.textContent = error.name === "NotAllowedError"
            ? "No passkey was used (it was cancelled, or timed out). Try again."
            : error.message;
        }
        button.disabled = false;
      }
    });
  }
})();
