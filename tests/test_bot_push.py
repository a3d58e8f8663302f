"""Heartbeats (push monitors) in the bot: /add's name, schedule and grace questions
with every refusal, the answer carrying the ping URL and its examples, the card (the
last ping, the next one expected, the run time, what the ping said), editing the
schedule, and a new ping URL. The real bot against the fake Bot API server, the real
web app (the ping endpoints) on loopback, a real database on both dialects."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.callbacks import MonitorCb
from bot.routers.edit import EditCb
from core import push_schedule
from core.i18n import use_locale
from core.monitor_rules import RuleError
from core.monitors import create_monitor
from core.push_tokens import token_hash
from core.render import fmt_datetime, fmt_exact_duration
from core.rule_texts import rule_text
from core.runtime import Runtime
from core.timezones import tz_of
from db.models import Monitor, MonitorState, User
from tests.support.api import ApiClient, serving
from tests.support.bot_harness import ADMIN, running_bot, tr
from tests.support.fake_telegram import BotMessage, FakeTelegram, FakeUser

HEARTBEAT = "Heartbeat (cron job, script)"
PUBLIC_IP = "93.184.216.34"  # a public literal: no DNS needed, never contacted


@dataclass
class Served:
    telegram: FakeTelegram
    api: ApiClient
    runtime: Runtime


@pytest.fixture
async def served(db, settings, probe) -> AsyncIterator[Served]:
    """The web app on loopback and the real bot, whose PUBLIC_URL is that app: the ping
    URLs the bot hands out are the app's."""
    async with serving(settings, probe) as api:
        bot_settings = settings.model_copy(
            update={
                "allow_private_targets": False,
                "admin_ids": frozenset({ADMIN}),
                "public_url": api.base,
            }
        )
        async with running_bot(bot_settings, probe) as telegram:
            yield Served(telegram, api, Runtime(settings=bot_settings, probe=probe))


def reason(lang: str, code: str, **params) -> str:
    """A refusal's words as the bot says them in `lang` (plain text)."""
    with use_locale(lang):
        return rule_text(RuleError(code, params))


def ping_url_in(message: BotMessage, base: str) -> str:
    found = re.search(re.escape(base) + r"/ping/[A-Za-z0-9_-]{32}", message.text or "")
    assert found, message.text
    return found.group()


async def ping(served: Served, url: str, body: bytes | None = None) -> int:
    method = "POST" if body is not None else "GET"
    async with served.api.http.request(method, url, data=body) as reply:
        return reply.status


async def open_card(me: FakeUser, monitor_id: int) -> BotMessage:
    await me.send(f"/start m{monitor_id}")
    return await me.next_reply()


async def add_by_buttons(me: FakeUser, lang: str, schedule: str, grace: str) -> BotMessage:
    """/add a heartbeat with the default name and the schedule and grace buttons; the
    bot's answer with the ping URL."""
    await me.send("/add")
    await me.next_reply()
    await me.press(tr(lang, HEARTBEAT))
    await me.next_reply()
    await me.press(tr(lang, "Skip"))
    await me.next_reply()
    await me.press(tr(lang, schedule))
    await me.next_reply()
    await me.press(tr(lang, grace))
    await me.next_reply()
    await me.press(tr(lang, "✅ Save"))
    await me.next_reply()  # the card
    return await me.next_reply()


async def test_add_a_heartbeat_with_a_cron_in_russian_and_its_first_ping(served: Served) -> None:
    lang, zone = "ru", "Europe/Berlin"
    await User.create(telegram_id=301, timezone=zone)
    me = served.telegram.user(301, language_code=lang)
    await me.send("/add")
    assert tr(lang, HEARTBEAT) in me.buttons(await me.next_reply())
    await me.press(tr(lang, HEARTBEAT))
    # The name comes first, with its default.
    ask_name = await me.next_reply()
    assert tr(lang, "Name it, or skip to call it {host}.", host=tr(lang, "Heartbeat")) in (
        ask_name.plain
    )
    await me.send("Nightly <backup>")
    # One question for the schedule: buttons for a period, or a typed period or cron.
    schedule = await me.next_reply()
    assert me.buttons(schedule) == [tr(lang, "5 min"), tr(lang, "1 hour"), tr(lang, "1 day")]
    assert "cron" in schedule.plain and "0 3 * * *" in schedule.plain
    for bad, refusal in [
        ("30s", reason(lang, "push_period_range", min=60, max=365 * 86400)),
        ("soon", reason(lang, "push_period_invalid")),
        ("61 3 * * *", reason(lang, "cron_minute_invalid", value="61")),
        ("0 25 * * *", reason(lang, "cron_hour_invalid", value="25")),
        ("0 3 * *", reason(lang, "cron_fields", count=4)),
        ("@sometimes", reason(lang, "cron_alias", value="@sometimes")),
    ]:
        await me.send(bad)
        assert refusal in (await me.next_reply()).plain, bad
    await me.send("0 3 * * *")
    grace = await me.next_reply()
    assert me.buttons(grace) == [tr(lang, "5 min"), tr(lang, "15 min"), tr(lang, "1 hour")]
    assert tr(lang, "How late may a run be before I alert? For example 10m or 1h.") in grace.plain
    for bad, refusal in [
        ("5s", reason(lang, "push_grace_range", min=60, max=30 * 86400)),
        ("later", reason(lang, "push_grace_invalid")),
    ]:
        await me.send(bad)
        assert refusal in (await me.next_reply()).plain, bad
    await me.send("45m")
    # No interval is asked (nobody checks a heartbeat): the summary comes next.
    summary = (await me.next_reply()).plain
    assert f"{tr(lang, 'Cron')}: 0 3 * * *" in summary
    assert f"{tr(lang, 'Time zone')}: {zone}" in summary
    assert f"{tr(lang, 'Grace time')}: {fmt_exact_duration(2700, lang)}" in summary
    assert tr(lang, "Period") not in summary
    assert me.buttons() == [tr(lang, "✅ Save"), tr(lang, "✖️ Cancel")]
    assert await Monitor.all().count() == 0  # nothing is written before Save
    await me.press(tr(lang, "✅ Save"))
    card = await me.next_reply()
    answer = await me.next_reply()

    monitor = await Monitor.get(owner__telegram_id=301)
    assert (monitor.kind, monitor.name) == ("push", "Nightly <backup>")
    assert monitor.interval_seconds == 60  # the scheduler's rhythm for judging silence
    assert monitor.params == {"period": None, "cron": "0 3 * * *", "tz": zone, "grace": 2700}
    assert "Nightly &lt;backup&gt;" in (card.text or "")
    assert f"{served.api.base}/ping/{monitor.push_token_prefix}…" in card.plain
    assert tr(lang, "Waiting for the first ping: no alert before it.") in card.plain
    assert tr(lang, "🔄 Check now") not in me.buttons(card)
    assert tr(lang, "🔑 New ping URL") in me.buttons(card)

    url = ping_url_in(answer, served.api.base)
    assert token_hash(url.rsplit("/", 1)[1]) == monitor.push_token_hash
    html = answer.text or ""
    assert tr(lang, "🔑 The ping URL of <b>{name}</b>:", name="Nightly &lt;backup&gt;") in html
    assert f"<code>{url}</code>" in html
    assert f"<pre>curl -fsS -m 10 --retry 5 {url}</pre>" in html
    assert f"<pre>0 3 * * * /backup.sh &amp;&amp; curl -fsS {url}</pre>" in html
    assert f"<pre>/backup.sh || curl -fsS {url}/fail</pre>" in html
    assert f"<pre>/backup.sh; curl -fsS {url}/$?</pre>" in html
    assert f"curl -fsS {url}/start" in html
    measure = "Measure the run time: ping /start as the job begins, the URL when it ends:"
    assert tr(lang, measure) in answer.plain

    # The job pings: the card says so, in the user's zone.
    assert await ping(served, url) == 200
    fresh = await Monitor.get(id=monitor.id)
    assert fresh.state == MonitorState.UP
    card = await open_card(me, monitor.id)
    berlin = tz_of(zone)
    expected = push_schedule.next_expected(fresh.push_last_success_at, cron="0 3 * * *", tz=zone)
    assert card.plain.startswith("🟢")
    assert tr(lang, "Waiting for the first ping: no alert before it.") not in card.plain
    assert fmt_datetime(fresh.push_last_ping_at, lang, berlin) in card.plain
    assert (
        tr(
            lang,
            "Next ping expected: {when}, late after {deadline}",
            when=fmt_datetime(expected, lang, berlin),
            deadline=fmt_datetime(expected + timedelta(seconds=2700), lang, berlin),
        )
        in card.plain
    )
    with use_locale(lang):
        schedule_words = push_schedule.describe(None, "0 3 * * *", zone, lang)
    assert tr(lang, "Schedule: {schedule}", schedule=schedule_words) in card.plain


async def test_a_period_heartbeat_its_card_and_its_edits_in_spanish(served: Served) -> None:
    lang = "es"
    me = served.telegram.user(302, language_code=lang)
    answer = await add_by_buttons(me, lang, "1 hour", "15 min")
    monitor = await Monitor.get(owner__telegram_id=302)
    assert monitor.name == tr(lang, "Heartbeat")
    assert monitor.params == {"period": 3600, "cron": None, "tz": "UTC", "grace": 900}
    url = ping_url_in(answer, served.api.base)
    assert f"<pre>0 * * * * /backup.sh &amp;&amp; curl -fsS {url}</pre>" in (answer.text or "")

    # A run measured from its start, ending with a failure that says something in HTML.
    assert await ping(served, url + "/start", b"") == 200
    started = await open_card(me, monitor.id)
    fresh = await Monitor.get(id=monitor.id)
    running = tr(
        lang,
        "Running since {when}: no end reported yet.",
        when=fmt_datetime(fresh.push_started_at, lang),
    )
    assert running in started.plain
    said = b"<b>disk full</b> & <script>x</script>"
    assert await ping(served, url + "/1", said) == 200
    fresh = await Monitor.get(id=monitor.id)
    assert fresh.state == MonitorState.DOWN and fresh.last_latency_ms is not None
    card = await open_card(me, monitor.id)
    assert card.plain.startswith("🔴")
    html = card.text or ""
    assert "<pre>&lt;b&gt;disk full&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;</pre>" in html
    assert tr(lang, "The last ping said:") + "\n" + said.decode() in card.plain
    run = tr(lang, "{latency} ms", latency=fresh.last_latency_ms)
    assert tr(lang, "Last run time: {duration}", duration=run) in card.plain
    assert running not in card.plain
    with use_locale(lang):
        every_hour = push_schedule.describe(3600, None, "UTC", lang)
    assert tr(lang, "Schedule: {schedule}", schedule=every_hour) in card.plain
    assert tr(lang, "Grace time: {grace}", grace=fmt_exact_duration(900, lang)) in card.plain
    assert tr(lang, "Checked every {interval}", interval="").split("{")[0] not in card.plain

    # Nothing to check by hand, even with a forged button.
    assert tr(lang, "🔄 Check now") not in me.buttons(card)
    await me.press_data(MonitorCb(action="check", id=monitor.id).pack())
    assert (await me.next_answer())["text"] == reason(lang, "not_probed")

    # The edit menu offers the schedule, not the interval, timeout or certificates.
    await me.press(tr(lang, "✏️ Edit"))
    menu = me.buttons(await me.next_reply())
    assert [tr(lang, label) for label in ("Period", "Cron", "Time zone", "Grace time")] == (
        menu[1:5]
    )
    assert tr(lang, "Interval") not in menu and tr(lang, "Certificate warnings") not in menu
    for unused in ("interval_seconds", "cert_warning_days", "timeout_seconds"):
        await me.press_data(EditCb(field=unused, id=monitor.id).pack())
        assert (await me.next_answer())["text"] == tr(lang, "Monitor not found.")

    # A cron expression replaces the period...
    await me.press(tr(lang, "Cron"))
    question = await me.next_reply()
    assert tr(lang, "Remove this rule") in me.buttons(question)
    await me.send("30 2 * * 8")
    assert reason(lang, "cron_weekday_invalid", value="8") in (await me.next_reply()).plain
    await me.send("30 2 * * 1-5")
    saved = await me.next_reply()
    fresh = await Monitor.get(id=monitor.id)
    assert (fresh.params["cron"], fresh.params["period"]) == ("30 2 * * 1-5", None)
    assert fresh.url == "cron 30 2 * * 1-5 (UTC)"
    with use_locale(lang):
        cron_words = push_schedule.describe(None, "30 2 * * 1-5", "UTC", lang)
    assert tr(lang, "Schedule: {schedule}", schedule=cron_words) in saved.plain
    # ... its zone is edited on its own (a bad one refused) ...
    await me.press(tr(lang, "✏️ Edit"))
    await me.next_reply()
    await me.press(tr(lang, "Time zone"))
    await me.next_reply()
    await me.send("Mars/Olympus")
    assert reason(lang, "timezone_invalid") in (await me.next_reply()).plain
    await me.send("america/new_york")
    await me.next_reply()
    assert (await Monitor.get(id=monitor.id)).params["tz"] == "America/New_York"
    # ... and a period replaces the cron expression again (a suggested one).
    await me.press(tr(lang, "✏️ Edit"))
    await me.next_reply()
    await me.press(tr(lang, "Period"))
    period_question = await me.next_reply()
    assert me.buttons(period_question)[:3] == [
        tr(lang, "5 min"),
        tr(lang, "1 hour"),
        tr(lang, "1 day"),
    ]
    await me.press(tr(lang, "1 day"))
    await me.next_reply()
    fresh = await Monitor.get(id=monitor.id)
    assert (fresh.params["period"], fresh.params["cron"]) == (86400, None)
    assert fresh.url == "every 1d"
    # The grace time: typed, refused out of range, then a button.
    await me.press(tr(lang, "✏️ Edit"))
    await me.next_reply()
    await me.press(tr(lang, "Grace time"))
    await me.next_reply()
    await me.send("31d")
    assert reason(lang, "push_grace_range", min=60, max=30 * 86400) in (
        (await me.next_reply()).plain
    )
    await me.press(tr(lang, "5 min"))
    saved = await me.next_reply()
    assert (await Monitor.get(id=monitor.id)).params["grace"] == 300
    assert tr(lang, "Grace time: {grace}", grace=fmt_exact_duration(300, lang)) in saved.plain


async def test_typed_schedules_periods_with_spaces_and_cron_aliases(served: Served) -> None:
    lang = "de"
    me = served.telegram.user(303, language_code=lang)
    await me.send("/add")
    await me.next_reply()
    await me.press(tr(lang, HEARTBEAT))
    await me.next_reply()
    await me.press(tr(lang, "Skip"))
    await me.next_reply()
    await me.send("2 h")  # two words, but no cron expression: a period
    await me.next_reply()
    await me.press(tr(lang, "1 hour"))
    summary = (await me.next_reply()).plain
    assert f"{tr(lang, 'Period')}: {fmt_exact_duration(7200, lang)}" in summary
    assert tr(lang, "Time zone") not in summary  # a zone matters to a cron expression only
    await me.press(tr(lang, "✖️ Cancel"))
    await me.next_reply()
    assert await Monitor.all().count() == 0

    await me.send("/add")
    await me.next_reply()
    await me.press(tr(lang, HEARTBEAT))
    await me.next_reply()
    await me.send("Backup")
    await me.next_reply()
    await me.send("@daily")
    await me.next_reply()
    await me.press(tr(lang, "5 min"))
    await me.next_reply()
    await me.press(tr(lang, "✅ Save"))
    await me.next_reply()
    answer = await me.next_reply()
    url = ping_url_in(answer, served.api.base)
    assert f"<pre>@daily /backup.sh &amp;&amp; curl -fsS {url}</pre>" in (answer.text or "")
    monitor = await Monitor.get(owner__telegram_id=303)
    assert (monitor.name, monitor.params["cron"], monitor.params["grace"]) == (
        "Backup",
        "@daily",
        300,
    )


async def test_a_new_ping_url_stops_the_old_one(served: Served) -> None:
    lang = "de"
    owner = await User.create(telegram_id=304)
    with use_locale(lang):
        monitor = await create_monitor(
            served.runtime, owner, kind="push", name="Backup", period=3600, grace=600
        )
    old_url = f"{served.api.base}/ping/{monitor.ping_token}"
    assert await ping(served, old_url) == 200
    me = served.telegram.user(304, language_code=lang)
    card = await open_card(me, monitor.id)
    assert f"/ping/{monitor.push_token_prefix}…" in card.plain

    # Asked first; "no" keeps the URL.
    await me.press(tr(lang, "🔑 New ping URL"))
    confirm = await me.next_reply()
    assert tr(
        lang,
        "Make a new ping URL for <b>{name}</b>? The current one stops working at once: "
        "every job that pings it needs the new one.",
        name="Backup",
    ) in (confirm.text or "")
    assert me.buttons(confirm) == [tr(lang, "Yes, make a new URL"), tr(lang, "No, keep it")]
    await me.press(tr(lang, "No, keep it"))
    await me.next_reply()
    assert (await Monitor.get(id=monitor.id)).push_token_hash == monitor.push_token_hash

    await me.press(tr(lang, "🔑 New ping URL"))
    await me.next_reply()
    await me.press(tr(lang, "Yes, make a new URL"))
    assert (await me.next_answer())["text"] == tr(lang, "New ping URL made.")
    card = await me.next_reply()
    answer = await me.next_reply()
    new_url = ping_url_in(answer, served.api.base)
    assert new_url != old_url
    fresh = await Monitor.get(id=monitor.id)
    assert fresh.push_token_hash == token_hash(new_url.rsplit("/", 1)[1])
    assert f"/ping/{fresh.push_token_prefix}…" in card.plain
    assert f"<pre>0 * * * * /backup.sh &amp;&amp; curl -fsS {new_url}</pre>" in (answer.text or "")
    assert await ping(served, old_url) == 404
    assert await ping(served, old_url + "/fail") == 404
    assert await ping(served, new_url) == 200


async def test_forged_ping_url_buttons_are_refused(served: Served) -> None:
    lang = "ru"
    stranger = await User.create(telegram_id=305)
    with use_locale(lang):
        foreign = await create_monitor(served.runtime, stranger, kind="push", period=3600)
    me = served.telegram.user(306, language_code=lang)
    await me.send("/start")
    await me.next_reply()
    for action in ("new_url", "new_url_yes"):
        await me.press_data(MonitorCb(action=action, id=foreign.id).pack())
        assert (await me.next_answer())["text"] == tr(lang, "Monitor not found.")
    assert (await Monitor.get(id=foreign.id)).push_token_hash == foreign.push_token_hash
    # The stranger's URL still works.
    assert await ping(served, f"{served.api.base}/ping/{foreign.ping_token}") == 200

    # The user's own monitor of another kind has no ping URL to renew.
    owner = await User.get(telegram_id=306)
    site = await Monitor.create(
        owner=owner, kind="tcp", name="db", url=f"tcp://{PUBLIC_IP}:5432",
        params={"host": PUBLIC_IP, "port": 5432, "tls": False},
    )  # fmt: skip
    for action in ("new_url", "new_url_yes"):
        await me.press_data(MonitorCb(action=action, id=site.id).pack())
        assert (await me.next_answer())["text"] == reason(lang, "not_push")
    assert (await Monitor.get(id=site.id)).push_token_hash is None
