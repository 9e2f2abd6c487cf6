"""``reports/validation/report.html``: the data-quality gate as one self-contained page (inline CSS, no script,
no external asset), which renders offline. GX's Data Docs beside it load Bootstrap, jQuery and Vega from CDNs,
so they are blank on machines and clusters without internet."""

from __future__ import annotations

from html import escape

import pandas as pd

STYLE = """body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}
.pass{color:#17662b}.fail{color:#b00020;font-weight:600}.warn{color:#9a6700;font-weight:600}td.bad{background:#fde2e2}"""


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else escape(str(value))


def report_html(expectations: list[dict], table: pd.DataFrame) -> str:
    """The page: the gate's verdict, one row per expectation (``expectations``: each with ``expectation_type``,
    ``success``, ``kwargs``, ``result`` (GX's result dict) and ``critical``) and the per-recording table with
    the cells that failed an expectation marked."""
    critical_failed = [e for e in expectations if not e["success"] and e["critical"]]
    verdict = ("<p class='fail'>FAILED: " + f"{len(critical_failed)} critical expectation(s)</p>" if critical_failed
               else "<p class='pass'>PASSED: every critical expectation holds</p>")
    bad: set[tuple[str, str]] = set()
    rows = []
    for e in expectations:
        kwargs = e["kwargs"]
        columns = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
        allowed = (f"{kwargs['column_A']} = {kwargs['column_B']}" if "column_A" in kwargs else
                   f"[{kwargs['min_value']}, {kwargs['max_value']}]" if "min_value" in kwargs else "not null")
        unexpected = [str(row.get("recording_id")) for row in e["result"].get("unexpected_index_list") or []]
        bad.update((rid, c) for rid in unexpected for c in columns)
        kind = "critical" if e["critical"] else "warning"
        state = "pass" if e["success"] else ("fail" if kind == "critical" else "warn")
        rows.append(f"<tr><td class='l'>{escape(e['expectation_type'])}</td><td class='l'>{escape(', '.join(columns))}"
                    f"</td><td class='l'>{escape(allowed)}</td><td class='l'>{kind}</td><td class='l {state}'>"
                    f"{'ok' if e['success'] else 'failed'}</td><td class='l'>{escape(', '.join(unexpected)) or '-'}"
                    "</td></tr>")
    header = "".join(f"<th class='l'>{escape(c)}</th>" if i < 2 else f"<th>{escape(c)}</th>"
                     for i, c in enumerate(table.columns))
    body = "".join("<tr>" + "".join(
        f"<td class='{'l' if i < 2 else ''}{' bad' if (str(r['recording_id']), c) in bad else ''}'>{_cell(r[c])}</td>"
        for i, c in enumerate(table.columns)) + "</tr>" for _, r in table.iterrows())
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>mcat data-quality gate</title>"
            f"<style>{STYLE}</style></head><body><h1>mcat data-quality gate</h1>{verdict}"
            f"<h2>Expectations</h2><table><tr><th class='l'>expectation</th><th class='l'>columns</th>"
            f"<th class='l'>allowed</th><th class='l'>kind</th><th class='l'>result</th>"
            f"<th class='l'>recordings outside</th></tr>{''.join(rows)}</table>"
            f"<h2>Recordings ({len(table)})</h2><table><tr>{header}</tr>{body}</table></body></html>\n")
