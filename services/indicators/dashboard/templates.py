"""Jinja2 templates of the dashboard (kept in code so they ship with the package)."""

from __future__ import annotations

BASE = """\
<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page_title }} · Veiviser</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d1d1d; }
  header { background: #17324d; color: #fff; padding: .6rem 1.2rem; display: flex;
           gap: 1.2rem; align-items: center; flex-wrap: wrap; }
  header a { color: #fff; }
  header .spacer { flex: 1; }
  main { padding: 1rem 1.2rem; max-width: 1100px; }
  h1 { font-size: 1.5rem; margin: .4rem 0 .8rem; }
  h2 { font-size: 1.2rem; margin: 1.4rem 0 .5rem; }
  table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd;
           vertical-align: top; }
  th { background: #f3f5f7; }
  td.num { text-align: right; white-space: nowrap; }
  .light { display: inline-block; width: 1rem; height: 1rem; border-radius: 50%;
           border: 1px solid #555; vertical-align: middle;
           -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .goal-row td { background: #fafbfc; font-weight: 600; }
  .muted { color: #666; }
  .note { color: #7a5b00; font-size: .9rem; }
  form.filters { display: flex; gap: .8rem; align-items: end; flex-wrap: wrap; margin-bottom: 1rem; }
  form.filters label { display: flex; flex-direction: column; font-size: .85rem; }
  .legend span { margin-right: 1rem; white-space: nowrap; }
  .chart { max-width: 720px; border: 1px solid #e3e3e3; }
  .problem { border-left: 4px solid #c0392b; padding: .5rem 1rem; background: #fdf0ee; }
  @media print {
    header, form, .no-print, a.csv { display: none !important; }
    main { max-width: none; padding: 0; }
    a { color: inherit; text-decoration: none; }
    th { background: none; }
    .chart { border: none; }
    tr { page-break-inside: avoid; }
  }
</style>
</head>
<body>
<header class="no-print">
  <strong>Veiviser · {{ L('title') }}</strong>
  <a href="{{ url('/dashboard') }}">{{ L('scorecard') }}</a>
  <a href="{{ url('/dashboard/survival') }}">{{ L('survival') }}</a>
  <span class="spacer"></span>
  {% if municipality %}<span>{{ L('municipality') }} {{ municipality }}</span>{% endif %}
  <a id="language" href="{{ switch_lang }}">{{ L('language') }}</a>
  <a href="javascript:window.print()">{{ L('print') }}</a>
  <a href="/dashboard/logout">{{ L('logout') }}</a>
</header>
<main>
{% block body %}{% endblock %}
</main>
</body>
</html>
"""

LEGEND = """\
<p class="legend">{% for level in ['desired', 'acceptable', 'not_approved', 'unclassified',
  'no_thresholds', 'no_data'] %}<span><span class="light" style="background: {{ colours[level] }}"></span>
  {{ L(level) }}</span>{% endfor %}</p>
"""

FILTERS = """\
<form class="filters" method="get">
  <label>{{ L('period') }}<input name="period" value="{{ period }}" size="9"></label>
  <label>{{ L('as_of') }}<input name="as_of" type="date" value="{{ as_of_raw }}"></label>
  <input type="hidden" name="lang" value="{{ lang }}">
  <button type="submit">{{ L('show') }}</button>
</form>
"""

SCORECARD = (
    """\
{% extends "base.html" %}
{% block body %}
<h1>{{ L('scorecard') }} {{ period }} <span class="muted">· {{ L('as_of') }} {{ as_of_label }}</span></h1>
"""
    + FILTERS
    + LEGEND
    + """\
<p><a class="csv" id="scorecard-csv" href="{{ url('/dashboard/export/scorecard.csv', period=period, as_of=as_of_raw) }}">{{ L('csv') }}</a></p>
<table id="scorecard">
<thead><tr><th></th><th>{{ L('goal') }} / {{ L('indicator') }}</th><th>{{ L('owner') }}</th>
<th>{{ L('period') }}</th><th class="num">{{ L('value') }}</th><th>{{ L('level') }}</th></tr></thead>
<tbody>
{% for card in cards %}
<tr class="goal-row" data-goal="{{ card.goal.key }}">
  <td><span class="light goal-light" data-level="{{ card.level or 'no_thresholds' }}"
      style="background: {{ colours[card.level or 'no_thresholds'] }}"></span></td>
  <td style="padding-left: {{ 0.5 + card.depth * 1.2 }}rem">{{ L(card.goal.plan_level) }}:
      {{ card.goal.title(data_lang) }} <span class="muted">({{ card.goal.from_year }}–{{ card.goal.to_year }})</span></td>
  <td>{{ card.goal.owner_unit }}</td><td></td><td></td>
  <td>{{ L(card.level) if card.level else '' }}</td>
</tr>
{% for v in card.values %}{{ indicator_row(v, card.depth + 1) }}{% endfor %}
{% endfor %}
{% if ungrouped %}
<tr class="goal-row"><td></td><td colspan="5">{{ L('ungrouped') }}</td></tr>
{% for v in ungrouped %}{{ indicator_row(v, 1) }}{% endfor %}
{% endif %}
</tbody>
</table>
{% endblock %}
"""
)

INDICATOR_ROW = """\
{% macro indicator_row(v, depth) %}
<tr class="indicator-row" data-indicator="{{ v.definition.key }}" data-level="{{ v.level.value }}">
  <td><span class="light" data-level="{{ v.level.value }}" title="{{ L(v.level.value) }}"
      style="background: {{ colours[v.level.value] }}"></span></td>
  <td style="padding-left: {{ 0.5 + depth * 1.2 }}rem">
    <a class="indicator-link" href="{{ url('/dashboard/indicators/' ~ v.definition.key, period=v.period|string, as_of=as_of_raw) }}">{{ v.definition.title(data_lang) }}</a>
    {% if v.result and v.result.preliminary %}<span class="note">({{ L('preliminary') }})</span>{% endif %}
  </td>
  <td></td>
  <td>{{ v.period }}{% if not v.period_complete %} <span class="muted">*</span>{% endif %}</td>
  <td class="num value">{{ fmt(v.shown, v.definition.unit.value, v.definition.decimals) }}</td>
  <td title="{{ v.classification.explanation }}">{{ L(v.level.value) }}</td>
</tr>
{% endmacro %}
"""

INDICATOR = (
    """\
{% extends "base.html" %}
{% block body %}
<p class="no-print"><a href="{{ url('/dashboard', period=period) }}">← {{ L('back') }}</a></p>
<h1>{{ d.title(data_lang) }}</h1>
<p class="muted">{{ d.key }} · {{ L(d.method) }}{% if d.source %} · {{ L('source') }}: {{ d.source }}{% endif %}
 · {{ L(d.direction.value) }}{% if d.rule %} · {{ L('rule') }}: <code>{{ d.rule }}</code>{% endif %}
 {% if d.configured_after_as_of %}· <span class="note">{{ L('configured_later') }}</span>{% endif %}</p>
"""
    + FILTERS
    + """\
<table id="current">
<tr><th>{{ L('period') }}</th><td>{{ v.period }}{% if not v.period_complete %} ({{ L('incomplete') }}){% endif %}</td></tr>
<tr><th>{{ L('value') }}</th><td class="value">{{ fmt(v.shown, d.unit.value, d.decimals) }}
  {% if v.result and v.result.preliminary %}<span class="note">({{ L('preliminary') }})</span>{% endif %}</td></tr>
<tr><th>{{ L('level') }}</th><td><span class="light" id="current-light" data-level="{{ v.level.value }}"
  style="background: {{ colours[v.level.value] }}"></span> {{ L(v.level.value) }}
  <span class="muted">— {{ v.classification.explanation }}</span></td></tr>
{% if v.result and v.result.denominator is not none %}
<tr><th>{{ L('numerator') }} / {{ L('denominator') }}</th><td>{{ fmt(v.result.numerator, 'count', 0) }} / {{ fmt(v.result.denominator, 'count', 0) }}</td></tr>
{% endif %}
</table>
{% if v.result %}<p><a id="drilldown-link" href="{{ url('/dashboard/indicators/' ~ d.key ~ '/drilldown', period=v.period|string, as_of=as_of_raw) }}">{{ L('drilldown') }} →</a></p>{% endif %}
<h2>{{ L('thresholds') }} {{ v.period.year }}</h2>
{% if v.thresholds %}
<table id="thresholds"><tr><th>{{ L('level') }}</th><th>{{ L('value') }}</th><th></th></tr>
{% for b in v.thresholds.set.bands %}
<tr><td><span class="light" style="background: {{ colours[b.level.value] }}"></span> {{ L(b.level.value) }}</td>
<td>{{ b.plain() }}</td><td class="muted">{{ b.interval() }}</td></tr>
{% endfor %}
</table>
{% else %}<p class="muted">{{ L('no_thresholds') }}</p>{% endif %}
<h2>{{ L('series') }}</h2>
"""
    + LEGEND
    + """\
<div id="series">{{ chart|safe }}</div>
<p><a class="csv" id="series-csv" href="{{ url('/dashboard/export/series/' ~ d.key ~ '.csv', as_of=as_of_raw, from_year=points[0].period.year if points else '', to_year=v.period.year) }}">{{ L('csv') }}</a></p>
<table id="series-table"><tr><th>{{ L('period') }}</th><th class="num">{{ L('value') }}</th><th>{{ L('level') }}</th></tr>
{% for p in points %}<tr data-period="{{ p.period }}"><td>{{ p.period }}</td>
<td class="num">{{ fmt(p.shown, d.unit.value, d.decimals) }}</td>
<td><span class="light" data-level="{{ p.level.value }}" style="background: {{ colours[p.level.value] }}"></span> {{ L(p.level.value) }}</td></tr>
{% endfor %}</table>
<h2>{{ L('comments') }}</h2>
{% if comments %}<ul id="comments">{% for c in comments %}
<li><strong>{{ c.period }}</strong>: {{ c.text }} <span class="muted">— {{ c.author }}, {{ c.recorded_at[:10] }}</span></li>
{% endfor %}</ul>{% else %}<p class="muted">{{ L('no_comments') }}</p>{% endif %}
{% endblock %}
"""
)

DRILLDOWN = """\
{% extends "base.html" %}
{% block body %}
<p class="no-print"><a href="{{ url('/dashboard/indicators/' ~ d.key, period=v.period|string, as_of=as_of_raw) }}">← {{ d.title(data_lang) }}</a></p>
<h1>{{ L('drilldown') }}: {{ d.title(data_lang) }} {{ v.period }}</h1>
<p>{{ L('value') }}: <strong class="value">{{ fmt(v.shown, d.unit.value, d.decimals) }}</strong>
{% if v.result.denominator is not none %} · {{ L('numerator') }} {{ fmt(v.result.numerator, 'count', 0) }}
 · {{ L('denominator') }} {{ fmt(v.result.denominator, 'count', 0) }}{% endif %}
 · {{ L('as_of') }} {{ as_of_label }}</p>
<p class="muted">{{ L('personal_data') }}</p>
<p><a class="csv" id="drilldown-csv" href="{{ url('/dashboard/export/drilldown/' ~ d.key ~ '.csv', period=v.period|string, as_of=as_of_raw) }}">{{ L('csv') }}</a></p>
{% for group, members in groups %}
<h2>{{ L(group) }} ({{ members|length }})</h2>
<table class="members" id="{{ group }}">
<tr><th>{{ L('subject') }}</th><th>{{ L('id') }}</th><th>{{ L('date') }}</th><th>{{ L('reason') }}</th></tr>
{% for m in members %}<tr data-id="{{ m.id }}"><td>{{ L(m.subject) }}</td><td><code>{{ m.participant_id or m.household_id or m.id }}</code></td>
<td>{{ m.on or '' }}</td><td>{{ m.reason(data_lang) }}</td></tr>{% endfor %}
</table>
{% endfor %}
{% endblock %}
"""

SURVIVAL = """\
{% extends "base.html" %}
{% block body %}
<h1>{{ L('survival') }}</h1>
<form class="filters" method="get">
  <label>{{ L('cohort') }} (fra/from)<input name="from_year" value="{{ from_year }}" size="5"></label>
  <label>{{ L('cohort') }} (til/to)<input name="to_year" value="{{ to_year }}" size="5"></label>
  <label>{{ L('as_of') }}<input name="as_of" type="date" value="{{ as_of_raw }}"></label>
  <input type="hidden" name="lang" value="{{ lang }}">
  <button type="submit">{{ L('show') }}</button>
</form>
<p class="muted">{{ L('share') }} · Kaplan–Meier · {{ L('as_of') }} {{ as_of_label }}</p>
<div id="km">{{ chart|safe }}</div>
<p><a class="csv" id="survival-csv" href="{{ url('/dashboard/export/survival.csv', from_year=from_year, to_year=to_year, as_of=as_of_raw) }}">{{ L('csv') }}</a></p>
<table id="cohorts"><tr><th>{{ L('cohort') }}</th><th class="num">{{ L('persons') }}</th>
<th class="num">{{ L('events') }}</th><th class="num">{{ L('censored') }}</th><th class="num">{{ L('median_days') }}</th></tr>
{% for c in curves %}<tr><td>{{ c.cohort }}</td><td class="num">{{ c.persons }}</td><td class="num">{{ c.events }}</td>
<td class="num">{{ c.censored }}</td><td class="num">{{ fmt(c.median_days, 'count', 0) }}</td></tr>{% endfor %}
</table>
<h2>{{ L('expected_vs_observed') }}</h2>
{% if model_error %}<p class="problem" id="model-error">{{ L('model_unavailable') }}: {{ model_error }}</p>
{% else %}
<table id="expected"><tr><th>{{ L('municipality') }}</th><th class="num">{{ L('persons') }}</th>
<th class="num">{{ L('observed') }}</th><th class="num">{{ L('expected') }}</th><th class="num">{{ L('ratio') }}</th>
<th class="num">{{ L('median_days') }} ({{ L('observed') }}/{{ L('expected') }})</th></tr>
{% for m in model.municipalities %}<tr><td>{{ m.municipality }}{% if m.small_sample %} <span class="note">({{ L('small_sample') }})</span>{% endif %}</td>
<td class="num">{{ m.persons }}</td><td class="num">{{ m.observed_transitions }}</td>
<td class="num">{{ fmt(m.expected_transitions, 'count', 1) }}</td><td class="num">{{ fmt(m.observed_to_expected, 'count', 2) }}</td>
<td class="num">{{ fmt(m.observed_median_days, 'count', 0) }} / {{ fmt(m.expected_median_days, 'count', 0) }}</td></tr>{% endfor %}
</table>
{% endif %}
{% endblock %}
"""

LOGIN = """\
{% extends "base.html" %}
{% block body %}
<h1>{{ L('login') }}</h1>
{% if error %}<p class="problem">{{ error }}</p>{% endif %}
<form method="post" action="/dashboard/login">
  <input type="hidden" name="next" value="{{ next }}">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <p><label>{{ L('token') }}<br><textarea name="token" rows="5" cols="70" required></textarea></label></p>
  <p class="muted">veiviser token --role manager --municipality 3301</p>
  <button type="submit" id="login">{{ L('login') }}</button>
</form>
{% endblock %}
"""

PROBLEM = """\
{% extends "base.html" %}
{% block body %}
<h1>{{ heading }}</h1>
<div class="problem" id="problem"><p>{{ detail }}</p>
{% if errors %}<ul>{% for e in errors %}<li><code>{{ e.field }}</code>: {{ e.message }}</li>{% endfor %}</ul>{% endif %}
</div>
{% endblock %}
"""

TEMPLATES = {
    "base.html": BASE,
    "scorecard.html": SCORECARD.replace("{% block body %}", "{% block body %}" + INDICATOR_ROW, 1),
    "indicator.html": INDICATOR,
    "drilldown.html": DRILLDOWN,
    "survival.html": SURVIVAL,
    "login.html": LOGIN,
    "problem.html": PROBLEM,
}
