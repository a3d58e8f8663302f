// Status page: times in the visitor's own time zone, and the page fetched again every
// minute (the server renders every time in UTC, so without this script the page still
// says everything). No framework; nothing loaded from elsewhere.
(() => {
  "use strict";

  const format = (() => {
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short",
      });
    } catch (error) {
      return null;
    }
  })();

  const localise = (root) => {
    if (!format) return;
    for (const element of root.querySelectorAll("time.local[datetime]")) {
      const moment = new Date(element.getAttribute("datetime"));
      if (!Number.isNaN(moment.getTime())) element.textContent = format.format(moment);
    }
  };

  // Replace what changed; a part that holds the keyboard focus waits for the next turn.
  const swap = (fresh, id) => {
    const old = document.getElementById(id);
    const next = fresh.getElementById(id);
    if (!old || !next || old.contains(document.activeElement)) return;
    localise(next);
    old.replaceWith(document.importNode(next, true));
  };

  let last = Date.now();
  const refresh = async () => {
    if (document.visibilityState !== "visible") return;
    last = Date.now();
    try {
      const response = await fetch(window.location.href, {
        cache: "no-cache", headers: { Accept: "text/html" },
      });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      swap(fresh, "main");
      swap(fresh, "updated");
      document.title = fresh.title;
    } catch (error) {
      // Offline or the server away: the page stays as it is, and the next turn tries.
    }
  };

  const start = () => {
    localise(document);
    const main = document.getElementById("main");
    const seconds = Number(main && main.dataset.refresh) || 60;
    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && Date.now() - last > seconds * 1000) refresh();
    });
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
