// The Checks tab: spam score, HTML compatibility, links and lint, each from its own endpoint. Each
// section loads on its own; if an endpoint is missing or failing, that section says so plainly.

import { api } from "./api.js";
import { h, icon, clear, plural } from "./util.js";

const SECTIONS = [
  ["spam", "Spam score"],
  ["html", "HTML compatibility"],
  ["links", "Links"],
  ["lint", "Deliverability lint"],
];

export function renderChecks(panel, message) {
  const nav = h("nav", { className: "check-nav", "aria-label": "Checks" },
    SECTIONS.map(([kind, title]) => h("a", { href: `#check-${kind}`, onclick: (event) => {
      event.preventDefault();
      panel.querySelector(`#check-${kind}`)?.scrollIntoView({ block: "start" });
    } }, title)));
  panel.append(nav);
  for (const [kind, title] of SECTIONS) {
    const body = h("div", { className: "check-body", role: "status" }, "Checking…");
    const section = h("section", { className: `check check-${kind}`, id: `check-${kind}`, "aria-labelledby": `check-${kind}-title` },
      h("h3", { id: `check-${kind}-title` }, title), body);
    panel.append(section);
    load(kind, message, body, section);
  }
}

async function load(kind, message, body, section, query) {
  try {
    const report = await api.check(message.id, kind, query);
    body.removeAttribute("role");
    clear(body).append(RENDER[kind](report, message, body, section));
  } catch (error) {
    body.removeAttribute("role");
    clear(body).append(unavailable(kind, error));
  }
}

function unavailable(kind, error) {
  let text;
  if (error.status === 404 || error.status === 501 || error.status === 405) {
    text = `This check is not available on this server (HTTP ${error.status}${error.message ? `: ${error.message}` : ""}).`;
  } else if (error.status === 502 || error.status === 503) {
    text = `This check could not run: ${error.message} (HTTP ${error.status}).`;
  } else if (error.status >= 500) {
    text = `This check failed on the server: ${error.message} (HTTP ${error.status}).`;
  } else if (error.status === 0) {
    text = "The server cannot be reached.";
  } else {
    text = `This check is not available: ${error.message} (HTTP ${error.status}).`;
  }
  return h("p", { className: "notice notice-warn", "data-unavailable": kind }, icon("warning"), " ", text);
}

const RENDER = {
  spam(report) {
    const verdict = report.isSpam ? "Looks like spam" : "Not spam";
    const pct = Math.max(0, Math.min(100, (report.score / Math.max(report.threshold * 2, 1)) * 100));
    return h("div", {},
      h("p", { className: `score ${report.isSpam ? "bad" : "good"}` },
        h("strong", { className: "score-value" }, formatNumber(report.score)),
        h("span", {}, ` / ${formatNumber(report.threshold)} threshold — ${verdict}`),
        h("span", { className: "muted" }, ` (engine: ${report.engine})`)),
      meter(pct, report),
      report.rules.length
        ? h("table", { className: "grid-table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Score"), h("th", { scope: "col" }, "Rule"), h("th", { scope: "col" }, "Description"))),
          h("tbody", {}, [...report.rules].sort((a, b) => b.score - a.score).map((rule) => h("tr", {},
            h("td", { className: `num ${rule.score > 0 ? "bad" : rule.score < 0 ? "good" : ""}` }, formatNumber(rule.score, true)),
            h("td", {}, h("code", {}, rule.name)),
            h("td", {}, rule.description)))))
        : h("p", { className: "muted" }, "No rules fired."),
    );
  },

  html(report) {
    if (!report.hasHTML) return h("p", { className: "muted" }, "This message has no HTML body.");
    const features = [...report.features].sort((a, b) => (a.supportPercent ?? 100) - (b.supportPercent ?? 100));
    return h("div", {},
      h("p", { className: "score" }, h("strong", { className: "score-value" }, `${formatNumber(report.supportPercent)} %`),
        h("span", {}, " overall support across email clients"),
        h("span", { className: "muted" }, ` (data: ${report.source}${report.sourceCommit ? ` @ ${report.sourceCommit.slice(0, 8)}` : ""})`)),
      features.length === 0 ? h("p", { className: "muted" }, "No features with known compatibility problems were found.") :
        h("ul", { className: "features" }, features.map((feature) => {
          const lacking = feature.clients.filter((c) => c.support === "unsupported");
          const partial = feature.clients.filter((c) => c.support === "partial");
          return h("li", {}, h("details", {},
            h("summary", {},
              h("span", { className: "feature-title" }, feature.title),
              h("span", { className: "muted" }, ` ${feature.category}`),
              h("span", { className: "feature-pct" }, feature.supportPercent != null ? `${formatNumber(feature.supportPercent)} %` : ""),
              h("span", { className: "muted small" }, ` · ${plural(feature.unsupported, "client")} lack it, ${feature.partial} partial`)),
            h("div", { className: "feature-detail" },
              feature.lines?.length ? h("p", {}, `Used on line${feature.lines.length === 1 ? "" : "s"} ${feature.lines.join(", ")} of the HTML (${plural(feature.occurrences, "occurrence")}).`) : null,
              feature.notes ? h("p", { className: "muted" }, feature.notes) : null,
              clientList("Not supported", lacking),
              clientList("Partly supported", partial),
              feature.url ? h("p", {}, h("a", { href: feature.url, target: "_blank", rel: "noopener noreferrer" }, "caniemail.com details")) : null)));
        })));
  },

  links(report, message, body, section) {
    const follow = h("button", { type: "button", className: "btn btn-small", onclick: () => {
      follow.disabled = true;
      follow.textContent = "Checking links…";
      load("links", message, body, section, { follow: 1 });
    } }, icon("refresh"), report.followed ? "Check again" : "Check each link (HEAD/GET)");
    if (report.links.length === 0) return h("p", { className: "muted" }, "No links or image URLs.");
    return h("div", {},
      h("div", { className: "panel-bar" }, h("span", { className: "muted" }, plural(report.links.length, "URL")), h("div", { className: "spacer" }), follow),
      h("table", { className: "grid-table links-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "URL"), h("th", { scope: "col" }, "Where"))),
        h("tbody", {}, report.links.map((link) => h("tr", {},
          h("td", { className: "num" }, linkStatus(link, report.followed)),
          h("td", { className: "url" }, h("code", {}, link.url), link.status?.redirects?.length
            ? h("div", { className: "muted small" }, `→ ${link.status.finalUrl} (${plural(link.status.redirects.length, "redirect")})`) : null),
          h("td", { className: "small" }, link.occurrences.map((o) => `${o.source} ${o.element ? `<${o.element}${o.attribute ? ` ${o.attribute}` : ""}>` : o.kind} line ${o.line}`).join("; ")))))));
  },

  lint(report) {
    const summary = h("p", {}, `${plural(report.errors, "error")}, ${plural(report.warnings, "warning")}, ${plural(report.infos, "note")}`);
    if (report.findings.length === 0) return h("div", {}, summary, h("p", { className: "good" }, icon("check"), " No problems found."));
    const order = { error: 0, warning: 1, info: 2 };
    return h("div", {}, summary, h("ul", { className: "findings" },
      [...report.findings].sort((a, b) => order[a.severity] - order[b.severity]).map((f) => h("li", { className: `finding ${f.severity}` },
        h("span", { className: `badge badge-${f.severity}` }, f.severity),
        h("span", {}, f.message),
        h("span", { className: "muted small" }, ` ${[f.location, f.line ? `line ${f.line}` : null, f.partId ? `part ${f.partId}` : null].filter(Boolean).join(" · ")}`),
        h("code", { className: "muted small finding-id" }, f.id)))));
  },
};

function meter(pct, report) {
  const fill = h("span", { className: `meter-fill ${report.isSpam ? "bad" : "good"}` });
  fill.style.width = `${pct}%`;
  const mark = h("span", { className: "meter-mark" });
  mark.style.left = "50%"; // the threshold sits in the middle of the scale
  return h("div", { className: "meter", role: "img", "aria-label": `Score ${formatNumber(report.score)} of threshold ${formatNumber(report.threshold)}` }, fill, mark);
}

function clientList(label, clients) {
  if (!clients.length) return null;
  return h("p", {}, h("strong", {}, `${label}: `),
    clients.map((c) => `${c.familyName} ${c.platformName}${c.version ? ` ${c.version}` : ""}${c.notes?.length ? ` (${c.notes.join("; ")})` : ""}`).join(", "));
}

function linkStatus(link, followed) {
  if (!followed || !link.status) return h("span", { className: "muted" }, "not checked");
  const s = link.status;
  const text = s.statusCode ? String(s.statusCode) : "error";
  return h("span", { className: s.ok ? "good" : "bad", title: s.error || `${s.method} in ${Math.round(s.durationMs)} ms` },
    icon(s.ok ? "check" : "warning"), ` ${text}`, s.error ? h("span", { className: "small" }, ` ${s.error}`) : null);
}

function formatNumber(value, signed = false) {
  if (typeof value !== "number") return String(value ?? "");
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return signed && value > 0 ? `+${text}` : text;
}
