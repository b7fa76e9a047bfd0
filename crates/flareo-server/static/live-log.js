// Follows a build on its submission page: polls the log API from the page's
// cursor, appends new lines and shows the status, and reloads the page when the
// build ends (history, digest and pull URL come with it).
const log = document.getElementById("log");
const status = document.getElementById("status");

async function poll(after) {
  let next = after;
  try {
    const response = await fetch(`/api/v1/submissions/${log.dataset.submission}/log?after=${after}`, {
      credentials: "same-origin",
      headers: { accept: "application/json" },
    });
    if (!response.ok) {
      status.textContent = `${status.textContent} (live updates stopped: HTTP ${response.status})`;
      return;
    }
    const chunk = await response.json();
    for (const line of chunk.lines) log.append(`${line}\n`);
    next = chunk.next;
    status.textContent = chunk.status;
    if (chunk.done) {
      location.reload();
      return;
    }
  } catch (e) {
    // The server restarting is not the end of the build: try again.
  }
  setTimeout(() => poll(next), 1000);
}

if (log && status && log.dataset.live === "true") {
  setTimeout(() => poll(Number(log.dataset.after)), 1000);
}
