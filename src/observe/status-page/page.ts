/**
 * The status page's markup and style. Static: every value arrives later from /ui/state and is
 * set as text by the script, so nothing from the network is ever parsed as HTML.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>siteboot status</title>
<link rel="stylesheet" href="/ui/style.css">
</head>
<body>
<header>
  <h1>siteboot <span id="site"></span></h1>
  <p><span id="health" role="status"></span> · <span id="live" aria-live="polite">connecting…</span></p>
</header>
<main>
  <section aria-labelledby="h-services">
    <h2 id="h-services">Services</h2>
    <ul id="services" class="plain"></ul>
  </section>
  <section aria-labelledby="h-pools">
    <h2 id="h-pools">Address pools</h2>
    <table id="pools">
      <thead><tr><th scope="col">Subnet</th><th scope="col">In use</th><th scope="col">Active</th><th scope="col">Declined</th><th scope="col">Size</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="h-leases">
    <h2 id="h-leases">Leases</h2>
    <p><label for="search">Search by MAC, name or address</label>
    <input id="search" type="search" autocomplete="off" spellcheck="false"></p>
    <table id="leases">
      <thead><tr><th scope="col">Address</th><th scope="col">MAC</th><th scope="col">Host name</th><th scope="col">DNS name</th><th scope="col">Vendor class</th><th scope="col">State</th><th scope="col">Expires</th><th scope="col">Timeline</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="lease-count"></p>
  </section>
  <section aria-labelledby="h-timeline">
    <h2 id="h-timeline">Timeline <span id="timeline-client"></span></h2>
    <p id="timeline-hint">Choose a client in the lease table: its DHCP, DNS, NTP and provisioning steps in order.</p>
    <table id="timeline">
      <thead><tr><th scope="col">Time</th><th scope="col">What</th><th scope="col">Event</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="h-reloads">
    <h2 id="h-reloads">Reloads</h2>
    <ol id="reloads" class="plain"></ol>
  </section>
</main>
<script src="/ui/app.js" defer></script>
</body>
</html>
`;

export const PAGE_STYLE = `:root { color-scheme: light dark; --bad: #b00020; --ok: #1b6e20; --muted: #666; }
@media (prefers-color-scheme: dark) { :root { --bad: #ff6f7d; --ok: #7bd389; --muted: #aaa; } }
body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 80rem; padding: 0 1rem 2rem; }
h1 { font-size: 1.4rem; margin: 1rem 0 0.2rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #8884; vertical-align: top; }
td { overflow-wrap: break-word; }
.plain { list-style: none; padding: 0; }
.ok { color: var(--ok); }
.bad { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
tr.bad td { background: #b0002014; }
tr.selected td { background: #8882; }
meter { width: 8rem; vertical-align: middle; }
input[type=search] { font: inherit; padding: 0.2rem 0.4rem; min-width: 18rem; }
button { font: inherit; }
:focus-visible { outline: 2px solid Highlight; outline-offset: 2px; }
`;
