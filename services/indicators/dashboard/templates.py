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
  .draft { border-left: 4px solid #f2b705; padding: .4rem .8rem; background: #fff8e1; }
  .draft-mark { background: #f2b705; color: #1d1d1d; border-radius: 3px; padding: 0 .3rem;
                font-size: .8rem; font-weight: 600; }
  .saved { border-left: 4px solid #1b7f3b; padding: .4rem .8rem; background: #eef8f0; }
  form.edit { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr));
              gap: .6rem 1rem; align-items: end; margin: .5rem 0 1rem; }
  form.edit label { display: flex; flex-direction: column; font-size: .85rem; }
  form.edit .wide { grid-column: 1 / -1; }
  .comment { font-size: .9rem; margin: .2rem 0 0; }
  details.comment-box summary { cursor: pointer; font-size: .85rem; color: #17324d; }
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
  <a id="plan-link" href="{{ url('/dashboard/plan') }}">{{ L('plan') }}</a>
  <a id="report-link" href="{{ url('/dashboard/reports') }}">{{ L('report') }}</a>
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
<h1>{{ L('scorecard') }} {{ period }} <span class="muted">· {{ L('as_of') }} {{ as_of_label }}</span>{% if draft %} <span class="draft-mark" id="draft-mark">{{ L('draft') }}</span>{% endif %}</h1>
{% if can_edit and versions %}
<p class="{{ 'draft' if versions.status == 'draft' else 'muted' }} no-print" id="plan-status">
{% if draft %}{{ L('draft_preview') }}{% elif versions.status == 'draft' %}{{ L('draft_pending')|replace('{n}', versions.draft_changes|length|string) }}{% else %}{{ L('plan_approved_version')|replace('{version}', versions.approved_version|string) }}{% endif %}
 · <a id="draft-toggle" href="{{ url('/dashboard', period=period, as_of=as_of_raw, draft='' if draft else '1') }}">{{ L('show_approved') if draft else L('show_draft') }}</a>
 · <a href="{{ url('/dashboard/plan') }}">{{ L('plan') }}</a></p>
{% endif %}
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
{% set glevel = 'suppressed' if card.goal.key in hidden_goals else (card.level or 'no_thresholds') %}
<tr class="goal-row" data-goal="{{ card.goal.key }}">
  <td><span class="light goal-light" data-level="{{ glevel }}"
      style="background: {{ colours.get(glevel, colours['no_data']) }}"></span></td>
  <td style="padding-left: {{ 0.5 + card.depth * 1.2 }}rem">{{ L(card.goal.plan_level) }}:
      {{ card.goal.title(data_lang) }} <span class="muted">({{ card.goal.from_year }}–{{ card.goal.to_year }})</span></td>
  <td>{{ card.goal.owner_unit }}</td><td></td><td></td>
  <td>{{ L(glevel) if card.level or glevel == 'suppressed' else '' }}</td>
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
{% set hide = hidden(v) %}{% set level = 'suppressed' if hide else v.level.value %}
<tr class="indicator-row" data-indicator="{{ v.definition.key }}" data-level="{{ level }}">
  <td><span class="light" data-level="{{ level }}" title="{{ L(level) }}"
      style="background: {{ colours.get(level, colours['no_data']) }}"></span></td>
  <td style="padding-left: {{ 0.5 + depth * 1.2 }}rem">
    <a class="indicator-link" href="{{ url('/dashboard/indicators/' ~ v.definition.key, period=v.period|string, as_of=as_of_raw) }}">{{ v.definition.title(data_lang) }}</a>
    {% if v.result and v.result.preliminary %}<span class="note">({{ L('preliminary') }})</span>{% endif %}
    {% for c in comments.get((v.definition.key, v.period|string), []) %}<p class="comment">💬 {{ c.text }} <span class="muted">— {{ c.author }}, {{ c.recorded_at[:10] }}</span></p>{% endfor %}
    {% if can_edit and not draft %}<details class="comment-box no-print"><summary>{{ L('explain_deviation') }}</summary>
    <form class="comment-form" method="post" action="{{ url('/dashboard/indicators/' ~ v.definition.key ~ '/comments') }}">
      <input type="hidden" name="csrf_token" value="{{ form_token }}">
      <input type="hidden" name="period" value="{{ v.period }}">
      <input type="hidden" name="level" value="{{ v.level.value }}">
      <input type="hidden" name="next" value="{{ here }}">
      <textarea name="text" rows="3" cols="50" required></textarea>
      <button type="submit">{{ L('save_comment') }}</button>
    </form></details>{% endif %}
  </td>
  <td></td>
  <td>{{ v.period }}{% if not v.period_complete %} <span class="muted">*</span>{% endif %}</td>
  <td class="num value">{% if hide %}:{% else %}{{ fmt(v.shown, v.definition.unit.value, v.definition.decimals) }}{% endif %}</td>
  <td title="{{ '' if hide else v.classification.explanation }}">{{ L(level) }}</td>
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
{% if can_edit %}
<form class="edit no-print" id="comment-form" method="post" action="{{ url('/dashboard/indicators/' ~ d.key ~ '/comments') }}">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
  <input type="hidden" name="level" value="{{ v.level.value }}">
  <input type="hidden" name="next" value="{{ here }}">
  <label>{{ L('period') }}<input name="period" value="{{ v.period }}" size="9"></label>
  <label class="wide">{{ L('explain_deviation') }} ({{ L(v.level.value) }})<textarea name="text" rows="3" required></textarea></label>
  <button type="submit" id="save-comment">{{ L('save_comment') }}</button>
</form>
{% endif %}
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

# The plan's form pages: a form's errors above it, and what was typed kept in its fields.
FORM_PAGE = """{% extends "base.html" %}
{% block body %}{% macro form_errors(name) %}{% if form_name == name and errors %}
<div class="problem form-errors" id="{{ name }}-errors" role="alert"><p>{{ summary }}</p><ul>
{% for e in errors %}<li data-field="{{ e.field }}">{% if e.label %}<strong>{{ e.label }}</strong>: {% endif %}{{ e.message }}</li>{% endfor %}
</ul></div>{% endif %}{% endmacro %}
{% macro typed(name, default='') %}{{ values.get(name, default) if form_name else default }}{% endmacro %}
"""

# A goal's fields, the same when adding one (the plan page) and changing one (its page).
GOAL_FIELDS = """
  <label>{{ L('field_plan_level') }}<select name="plan_level">{% for level in levels %}
    <option value="{{ level }}" {% if typed('plan_level', goal.plan_level if goal else 'kommuneplan') == level %}selected{% endif %}>{{ L(level) }}</option>{% endfor %}</select></label>
  <label>{{ L('field_parent_key') }}<select name="parent_key"><option value="">—</option>{% for other in plan.goals.values()|sort(attribute='key') %}{% if not goal or other.key != goal.key %}
    <option value="{{ other.key }}" {% if typed('parent_key', goal.parent_key if goal else '') == other.key %}selected{% endif %}>{{ other.key }} ({{ L(other.plan_level) }})</option>{% endif %}{% endfor %}</select></label>
  <label>{{ L('field_title_nb') }}<input name="title_nb" value="{{ typed('title_nb', goal.title_nb if goal else '') }}" required></label>
  <label>{{ L('field_title_en') }}<input name="title_en" value="{{ typed('title_en', goal.title_en if goal else '') }}"></label>
  <label>{{ L('field_owner_unit') }}<input name="owner_unit" value="{{ typed('owner_unit', goal.owner_unit if goal else '') }}" required></label>
  <label>{{ L('field_from_year') }}<input name="from_year" value="{{ typed('from_year', goal.from_year if goal else '') }}" size="5" required></label>
  <label>{{ L('field_to_year') }}<input name="to_year" value="{{ typed('to_year', goal.to_year if goal else '') }}" size="5"></label>
  <fieldset class="wide"><legend>{{ L('field_indicator_keys') }}</legend>
  {% for d in plan.definitions.values()|sort(attribute='key') %}<label style="flex-direction: row; gap: .3rem"><input type="checkbox" name="indicator_keys" value="{{ d.key }}" {% if d.key in chosen %}checked{% endif %}> {{ d.title(data_lang) }} <code>{{ d.key }}</code></label>{% endfor %}
  </fieldset>
  <button type="submit" id="save-goal">{{ L('save_goal') }}</button>
</form>
"""

PLAN = (
    FORM_PAGE
    + """
<h1>{{ L('plan') }} {% if can_edit and versions.status == 'draft' %}<span class="draft-mark">{{ L('draft') }}</span>{% endif %}</h1>
{% if saved %}<p class="saved" id="saved">{{ L('saved_' ~ saved) }}</p>{% endif %}
<section id="versions">
<p id="version-line">{{ L('plan_version') }} {{ versions.current_version }} ·
{% if versions.approved %}{{ L('approved_version') }} {{ versions.approved.plan_version }} ({{ versions.approved.approved_by }}, {{ versions.approved.approved_at[:16]|replace('T', ' ') }} UTC){% else %}{{ L('never_approved') }}{% endif %}</p>
{% if can_edit %}
{% if versions.draft_changes %}
<div class="draft" id="draft-changes"><p><strong>{{ L('draft_pending')|replace('{n}', versions.draft_changes|length|string) }}</strong></p>
<table><tr><th>{{ L('plan_version') }}</th><th>{{ L('change') }}</th><th>{{ L('what') }}</th><th>{{ L('changed_by') }}</th><th>{{ L('when') }}</th></tr>
{% for c in versions.draft_changes %}<tr><td>{{ c.plan_version }}</td><td>{{ L('change_' ~ c.kind) }}</td><td><code>{{ c.subject }}</code>{% if c.years %} {{ c.years[0] }}{% if c.years|length > 1 %}–{{ c.years[-1] }}{% endif %}{% endif %}</td><td>{{ c.changed_by }}</td><td>{{ c.recorded_at[:16]|replace('T', ' ') }}</td></tr>{% endfor %}
</table>
{{ form_errors('approve') }}
<form method="post" action="{{ url('/dashboard/plan/approve') }}" id="approve-form">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
  <input type="hidden" name="version" value="{{ versions.current_version }}">
  <button type="submit" id="approve">{{ L('approve_version')|replace('{version}', versions.current_version|string) }}</button>
</form></div>
{% else %}<p class="muted" id="no-draft">{{ L('no_draft') }}</p>{% endif %}
{% endif %}
</section>

<h2 id="goals">{{ L('goals') }}</h2>
<table id="plan-goals"><tr><th>{{ L('goal') }}</th><th>{{ L('owner') }}</th><th>{{ L('years') }}</th><th>{{ L('field_indicator_keys') }}</th><th></th></tr>
{% for depth, g in tree %}<tr data-goal="{{ g.key }}"><td style="padding-left: {{ 0.5 + depth * 1.2 }}rem">{{ L(g.plan_level) }}: {{ g.title(data_lang) }} <code>{{ g.key }}</code>
{% if g.key in marks.get('goals', ()) %} <span class="draft-mark">{{ L('draft') }}</span>{% endif %}</td>
<td>{{ g.owner_unit }}</td><td>{{ g.from_year }}–{{ g.to_year }}</td><td>{% for k in g.indicator_keys %}<code>{{ k }}</code> {% endfor %}</td>
<td>{% if can_edit %}<a class="edit-goal" href="{{ url('/dashboard/plan/goals/' ~ g.key) }}">{{ L('edit') }}</a>{% endif %}</td></tr>
{% else %}<tr><td colspan="5" class="muted">{{ L('no_goals') }}</td></tr>{% endfor %}
</table>
{% if can_edit %}
<h3>{{ L('new_goal') }}</h3>
{{ form_errors('goal') }}
<form class="edit" method="post" action="{{ url('/dashboard/plan/goals') }}" id="goal-form">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
  <label>{{ L('field_key') }}<input name="key" value="{{ typed('key') }}" required></label>
"""
    + GOAL_FIELDS
    + """{% endif %}

<h2 id="indicators">{{ L('indicators') }}</h2>
<table id="plan-indicators"><tr><th>{{ L('indicator') }}</th><th>{{ L('method') }}</th><th>{{ L('thresholds') }}</th><th></th></tr>
{% for d in plan.definitions.values()|sort(attribute='key') %}<tr data-indicator="{{ d.key }}"><td>{{ d.title(data_lang) }} <code>{{ d.key }}</code>
{% if d.key in marks.get('indicators', ()) %} <span class="draft-mark">{{ L('draft') }}</span>{% endif %}</td>
<td>{{ L(d.method) }}</td>
<td>{% for (k, year), th in plan.thresholds.items()|sort if k == d.key %}{{ year }}{% if d.key in marks.get('thresholds', ()) and approved_plan.thresholds.get((k, year)) != th %}*{% endif %} {% endfor %}</td>
<td>{% if can_edit %}<a class="edit-thresholds" href="{{ url('/dashboard/plan/indicators/' ~ d.key) }}">{{ L('edit_thresholds') }}</a>{% endif %}</td></tr>
{% else %}<tr><td colspan="4" class="muted">{{ L('no_indicators') }}</td></tr>{% endfor %}
</table>
{% if can_edit %}
<h3>{{ L('new_indicator') }}</h3>
{{ form_errors('indicator') }}
<form class="edit" method="post" action="{{ url('/dashboard/plan/indicators') }}" id="indicator-form">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
  <label class="wide">{{ L('field_from_catalogue') }}<select name="from_catalogue" id="catalogue">
  {% for b in catalogue %}<option value="{{ b.key }}" {% if typed('from_catalogue') == b.key %}selected{% endif %}>{{ b.title_en if data_lang == 'en' else b.title_nb }} ({{ b.key }})</option>{% endfor %}</select></label>
  <label>{{ L('field_key') }} ({{ L('optional') }})<input name="key" value="{{ typed('key') }}"></label>
  <label>{{ L('field_title_nb') }} ({{ L('optional') }})<input name="title_nb" value="{{ typed('title_nb') }}"></label>
  <button type="submit" id="save-indicator">{{ L('add_indicator') }}</button>
</form>

<h2 id="settings">{{ L('settings') }}</h2>
{{ form_errors('settings') }}
<form class="edit" method="post" action="{{ url('/dashboard/plan/settings') }}" id="settings-form">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
  <label>{{ L('field_suppression_min_n') }}<input name="suppression_min_n" value="{{ typed('suppression_min_n', plan.settings.suppression_min_n) }}" size="4"></label>
  <p class="muted wide">{{ L('suppression_help') }}</p>
  <button type="submit" id="save-settings">{{ L('save') }}</button>
</form>
{% else %}
<p class="muted" id="read-only">{{ L('read_only') }} · {{ L('field_suppression_min_n') }}: {{ plan.settings.suppression_min_n }}</p>
{% endif %}
{% endblock %}
"""
)

GOAL = (
    FORM_PAGE
    + """
<p class="no-print"><a href="{{ url('/dashboard/plan') }}">← {{ L('plan') }}</a></p>
<h1>{{ L('edit_goal') }} <code>{{ goal.key }}</code></h1>
{{ form_errors('goal') }}
<form class="edit" method="post" action="{{ url('/dashboard/plan/goals/' ~ goal.key) }}" id="goal-form">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
"""
    + GOAL_FIELDS
    + """{% endblock %}
"""
)

PLAN_INDICATOR = (
    FORM_PAGE
    + """
<p class="no-print"><a href="{{ url('/dashboard/plan') }}">← {{ L('plan') }}</a></p>
<h1>{{ d.title(data_lang) }} <code>{{ d.key }}</code>{% if d.key in marks.get('indicators', ()) %} <span class="draft-mark">{{ L('draft') }}</span>{% endif %}</h1>
{% if saved %}<p class="saved" id="saved">{{ L('saved_' ~ saved) }}</p>{% endif %}
<p class="muted">{{ L(d.method) }} · {{ L(d.direction.value) }} · {{ L('unit') }}: {{ d.unit.value }}</p>
<h2>{{ L('thresholds') }}</h2>
{% if thresholds %}<table id="plan-thresholds"><tr><th>{{ L('year') }}</th><th>{{ L('desired') }}</th><th>{{ L('acceptable') }}</th><th>{{ L('not_approved') }}</th><th></th></tr>
{% for year, th in thresholds %}<tr data-year="{{ year }}"><td>{{ year }}</td>
{% for level in band_levels %}<td>{% for b in th.set.bands if b.level.value == level %}{{ b.plain() }}{% endfor %}</td>{% endfor %}
<td>{% if d.key in marks.get('thresholds', ()) %}<span class="muted">v{{ th.version }}</span>{% endif %}</td></tr>{% endfor %}
</table>{% else %}<p class="muted">{{ L('no_thresholds') }}</p>{% endif %}
<h3>{{ L('set_thresholds') }}</h3>
<p class="muted">{{ L('thresholds_help') }}</p>
{{ form_errors('thresholds') }}
<form class="edit" method="post" action="{{ url('/dashboard/plan/indicators/' ~ d.key ~ '/thresholds') }}" id="thresholds-form">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
  <label>{{ L('field_from_year') }}<input name="from_year" value="{{ typed('from_year') }}" size="5" required></label>
  <label>{{ L('field_to_year') }}<input name="to_year" value="{{ typed('to_year') }}" size="5"></label>
  <label>{{ L('field_gap_policy') }}<select name="gap_policy">
    <option value="unclassified">{{ L('gap_unclassified') }}</option>
    <option value="worse_neighbour" {% if typed('gap_policy') == 'worse_neighbour' %}selected{% endif %}>{{ L('gap_worse_neighbour') }}</option></select></label>
  {% for level in band_levels %}
  <fieldset class="wide" id="band-{{ level }}"><legend><span class="light" style="background: {{ colours[level] }}"></span> {{ L(level) }}</legend>
    <label style="display: inline-flex">{{ L('from_value') }}<input name="{{ level }}_lower" value="{{ typed(level ~ '_lower') }}" size="8"></label>
    <label style="display: inline-flex; flex-direction: row"><input type="checkbox" name="{{ level }}_lower_inclusive" {% if not form_name or typed(level ~ '_lower_inclusive') == 'on' %}checked{% endif %}> {{ L('inclusive') }}</label>
    <label style="display: inline-flex">{{ L('to_value') }}<input name="{{ level }}_upper" value="{{ typed(level ~ '_upper') }}" size="8"></label>
    <label style="display: inline-flex; flex-direction: row"><input type="checkbox" name="{{ level }}_upper_inclusive" {% if typed(level ~ '_upper_inclusive') == 'on' %}checked{% endif %}> {{ L('inclusive') }}</label>
  </fieldset>{% endfor %}
  <button type="submit" id="save-thresholds">{{ L('save_thresholds') }}</button>
</form>
{% endblock %}
"""
)

FORM_ERRORS = """{% extends "base.html" %}
{% block body %}
<h1>{{ summary }}</h1>
<div class="problem form-errors" id="comment-errors" role="alert"><ul>
{% for e in errors %}<li data-field="{{ e.field }}">{% if e.label %}<strong>{{ e.label }}</strong>: {% endif %}{{ e.message }}</li>{% endfor %}
</ul></div>
<p><a href="{{ back }}">← {{ L('back') }}</a></p>
{% endblock %}
"""

REPORTS = """{% extends "base.html" %}
{% block body %}
<h1>{{ L('report') }} {{ period }}</h1>
<form class="filters" method="get">
  <label>{{ L('period') }}<input name="period" value="{{ period }}" size="9"></label>
  <input type="hidden" name="lang" value="{{ lang }}">
  <button type="submit">{{ L('show') }}</button>
</form>
<p id="downloads">{{ L('download_current') }}:
<a id="report-pdf" href="{{ url('/dashboard/reports/' ~ period ~ '/download', format='pdf') }}">PDF</a> ·
<a id="report-xlsx" href="{{ url('/dashboard/reports/' ~ period ~ '/download', format='xlsx') }}">XLSX</a> ·
<a id="report-html" href="{{ url('/dashboard/reports/' ~ period ~ '/download', format='html') }}">HTML</a></p>
{% if can_edit %}
<h2>{{ L('lock_report') }}</h2>
<p class="muted">{{ L('lock_help') }}</p>
{% if errors %}<div class="problem form-errors" id="lock-errors" role="alert"><p>{{ summary }}</p><ul>
{% for e in errors %}<li data-field="{{ e.field }}">{% if e.label %}<strong>{{ e.label }}</strong>: {% endif %}{{ e.message }}</li>{% endfor %}
</ul></div>{% endif %}
<form class="edit" method="post" action="{{ url('/dashboard/reports/' ~ period ~ '/lock') }}" id="lock-form">
  <input type="hidden" name="csrf_token" value="{{ form_token }}">
  <label>{{ L('field_reported_to') }}<input name="reported_to" value="{{ values.get('reported_to', 'bystyret') }}" required></label>
  <label>{{ L('field_reported_on') }}<input name="reported_on" type="date" value="{{ values.get('reported_on', today) }}" required></label>
  <button type="submit" id="lock-report">{{ L('lock_report') }}</button>
</form>
{% endif %}
<h2>{{ L('locked_reports') }}</h2>
{% if locked %}<table id="locked-reports"><tr><th>{{ L('period') }}</th><th>{{ L('field_reported_to') }}</th><th>{{ L('field_reported_on') }}</th><th>{{ L('as_of') }}</th><th></th></tr>
{% for r in locked %}<tr data-report="{{ r.report_id }}" {% if r.report_id == just_locked %}class="saved"{% endif %}><td>{{ r.period }}</td><td>{{ r.reported_to }}</td><td>{{ r.reported_on }}</td><td>{{ r.known_as_of[:16]|replace('T', ' ') }}</td>
<td><a class="locked-pdf" href="{{ url('/dashboard/reports/locked/' ~ r.report_id ~ '.pdf') }}">PDF</a> · <a class="locked-xlsx" href="{{ url('/dashboard/reports/locked/' ~ r.report_id ~ '.xlsx') }}">XLSX</a></td></tr>{% endfor %}
</table>{% else %}<p class="muted">{{ L('no_locked_reports') }}</p>{% endif %}
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
    "plan.html": PLAN,
    "goal.html": GOAL,
    "plan_indicator.html": PLAN_INDICATOR,
    "form_errors.html": FORM_ERRORS,
    "reports.html": REPORTS,
}
