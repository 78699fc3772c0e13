"""`zhunru` commands about time: the holiday calendar, settings, timers and the timer worker.

Each command imports the engine modules it uses when it runs (see web/cli.py).
"""
from __future__ import annotations

import logging
import os
import signal
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.errors import InvalidInput

from .cli_support import actor, command, emit, read_file, state, transaction

if TYPE_CHECKING:
    from engine.timing import timers as timers_engine

log = logging.getLogger("zhunru.worker")
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def tick(now: datetime) -> timers_engine.Tick:
    """Start the scheduled cases that are due, then fire due timers (their own reminders included), then delete
    uploads no case used that are older than the setting, and sign the chain heads when a checkpoint is due."""
    from datetime import timedelta

    from engine import files, settings
    from engine.audit import checkpoints
    from engine.timing import schedules
    from engine.timing import timers as timers_engine

    started, failed_starts = schedules.start_due(state.sessions, now)
    result = timers_engine.fire_due(state.sessions, now)
    result.started, result.failed_starts = started, failed_starts
    with state.sessions() as session, session.begin():
        result.cleaned_files = files.clean_unlinked(session, now)
        every = timedelta(days=int(settings.values(session)["audit_checkpoint_days"]))
        checkpoints.write_if_due(session, now, every)
    return result


def _scheduled_tick() -> None:
    """One tick of the timer job, logged: when it starts (DEBUG) and what it did (INFO, when anything)."""
    from engine.timing.clock import system_now

    now = system_now()
    log.debug("tick %s", now.isoformat())
    result = tick(now)
    if any(_tick_json(result).values()):
        for line in _tick_text(result).splitlines():
            log.info("%s", line)


def start_scheduler(interval: int):
    """Tick at once and then every `interval` seconds, in a background thread (serve and worker)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from engine.store import schema  # Alembic

    schema.require_current(state.sessions.kw["bind"])
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(_scheduled_tick, "interval", seconds=interval, id="fire_timers", max_instances=1,
                      coalesce=True, next_run_time=datetime.now().astimezone())
    scheduler.start()
    return scheduler


def _tick_text(tick: timers_engine.Tick) -> str:
    lines = [f"已定期发起 {s['process_id']} {s['instance_id']} (计划时间 {s['scheduled_for']})" for s in tick.started]
    lines += [f"定期发起 {f['process_id']} 失败: {f['error']} (稍后重试)" for f in tick.failed_starts]
    lines += [f"已触发 {f['instance_id']} {f['task_name']}" for f in tick.fired]
    lines += [f"已催办 {f['instance_id']} {f['task_name']}" for f in tick.reminded]
    lines += [f"失败 {f['instance_id']}: {f['error']} (稍后重试)" for f in tick.failed]
    lines += [f"跳过 {i} (另一 worker 正在处理)" for i in tick.skipped]
    lines += [f"已删除 {tick.cleaned_files} 个超期未使用的上传文件"] if tick.cleaned_files else []
    return "\n".join(lines) or "没有到期的定时器"


def _tick_json(tick: timers_engine.Tick) -> dict:
    return {"started": tick.started, "failed_starts": tick.failed_starts, "fired": tick.fired,
            "reminded": tick.reminded, "failed": tick.failed, "skipped": tick.skipped,
            "cleaned_files": tick.cleaned_files}


@click.group(help="定时器")
def timers() -> None:
    pass


@timers.command("fire", help="触发到期的定时器 (--now 用于模拟时间)")
@click.option("--now", "now_text", help="当前时间 (ISO 8601)")
@click.option("--json", "as_json", is_flag=True)
@command
def timers_fire(now_text: str | None, as_json: bool) -> None:
    from engine.timing.clock import parse_instant, system_now

    now = parse_instant(now_text, "--now") if now_text else system_now()
    result = tick(now)
    emit(as_json, _tick_json(result), lambda _: _tick_text(result))


@timers.command("incidents", help="列出触发失败、等待重试的定时器和出错的实例")
@click.option("--json", "as_json", is_flag=True)
@command
def timers_incidents(as_json: bool) -> None:
    from engine.timing import timers as timers_engine

    with transaction() as session:
        rows = timers_engine.incidents(session)
    def line(r: dict) -> str:
        if r["kind"] == "instance":
            return f"{r['instance_id']} {r['task_name'] or ''} 实例出错: {r['error']}"
        what = "定时器" if r["kind"] == "timer" else "定期发起"
        return (f"{r['instance_id'] or r['title']} {r['task_name'] or ''} {what}已失败 {r['attempts']} 次，"
                f"下次 {r['next_attempt_at']}: {r['error']}")

    emit(as_json, rows, lambda rs: "\n".join(map(line, rs)) or "没有异常")


@timers.command("schedules", help="列出定期发起的流程及下次发起时间")
@click.option("--json", "as_json", is_flag=True)
@command
def timers_schedules(as_json: bool) -> None:
    from engine.timing import schedules
    from engine.timing.clock import system_now

    with transaction() as session:
        schedules.sync(session, system_now())
        rows = schedules.listing(session)
    emit(as_json, rows, lambda rs: "\n".join(
        f"{r['process_id']} 周期 {r['cycle']} 下次 {r['next_at']}" + (f" (失败 {r['attempts']} 次: {r['error']})"
                                                                     if r["attempts"] else "") for r in rs)
        or "没有定期发起的流程")


@click.command(help="只运行定时器 (不提供网页)，每隔几秒触发到期的定时器；"
                    "收到 SIGTERM 或 Ctrl-C 时做完进行中的检查后退出")
@click.option("--interval", default=3, show_default=True, help="检查间隔 (秒)")
@click.option("--once", is_flag=True, help="只检查一次，处理完到期的定时器后退出")
@command
def worker(interval: int, once: bool) -> None:
    from engine.timing.clock import system_now

    if once:
        click.echo(_tick_text(tick(system_now())))
        return
    # SIGTERM (systemd, docker stop, gunicorn-style supervisors) and SIGINT (Ctrl-C) are taken by the main thread
    # alone, with sigwait: blocked before the scheduler's threads exist, so they inherit the block.
    # A second signal while the tick finishes stays pending, and the worker still ends as below.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        scheduler = start_scheduler(interval)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise
    log.info("定时器 worker 已启动，每 %s 秒检查一次 (进程 %s)", interval, os.getpid())
    received = signal.sigwait(STOP_SIGNALS)
    log.info("收到 %s，等待进行中的检查结束", signal.Signals(received).name)
    scheduler.shutdown(wait=True)  # the tick in progress finishes and commits; no new one starts
    log.info("定时器 worker 已停止")


@click.group("calendar", help="工作日历：法定节假日与调休上班日")
def calendar_group() -> None:
    pass


@calendar_group.command("import", help="从 CSV (表头 date,kind,name) 导入一年的节假日安排，并重算受影响的期限")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def calendar_import(path: str, username: str, as_json: bool) -> None:
    from engine.timing import deadlines
    from engine.timing.clock import system_now

    content = read_file(path)
    with transaction() as session:
        actor(session, username)
        result = deadlines.import_calendar(session, Path(path).name, content, username, system_now())
    emit(as_json, result, lambda r: "\n".join([
        f"已导入 {r['year']} 年: 法定节假日 {r['holidays']} 天, 调休上班日 {r['workdays']} 天; "
        f"重算期限 {len(r['recounted'])} 个",
        *(f"  {c['instance_id']} {c['timer']}: {c['old_due']} → {c['new_due']}" for c in r["recounted"])]))


@calendar_group.command("show", help="显示一年的节假日安排")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True)
@command
def calendar_show(year: int, as_json: bool) -> None:
    from engine.timing import holidays

    with transaction() as session:
        view = holidays.show(session, year)
    emit(as_json, view, lambda v: "\n".join([
        f"{v['year']} 年: 已载入 ({v['source']}, {v['loaded_at']})" if v["loaded"]
        else f"{v['year']} 年: 尚未载入，期限暂按周一至周五计算",
        *(f"  {d['date']} {d['weekday']} {d['kind_text']} {d['name']}" for d in v["days"])]))


@calendar_group.command("deadline", help="计算期限: FROM (收到时间, ISO 8601) 之后第 N 个工作日结束")
@click.argument("received")
@click.argument("days", type=int)
@click.option("--calendar-days", is_flag=True, help="按自然日计算 (届满日为节假日的顺延)")
@click.option("--json", "as_json", is_flag=True)
@command
def calendar_deadline(received: str, days: int, calendar_days: bool, as_json: bool) -> None:
    from engine.timing import holidays
    from engine.timing.clock import local_iso, parse_instant

    start = parse_instant(received, "FROM")
    if days < 0:
        raise InvalidInput(f"天数不能为负数: {days}")
    with transaction() as session:
        calendar = holidays.load(session)
    count = calendar.calendar_deadline if calendar_days else calendar.working_deadline
    deadline = count(start, days)
    value = {"due_at": local_iso(deadline.due_at), "provisional": deadline.provisional}
    note = " (该年节假日尚未载入，暂按周一至周五计算)" if deadline.provisional else ""
    emit(as_json, value, lambda v: v["due_at"] + note)


@click.group("setting", help="本地设置 (例如下班时间)")
def setting_group() -> None:
    pass


@setting_group.command("show", help="显示全部设置")
@click.option("--json", "as_json", is_flag=True)
@command
def setting_show(as_json: bool) -> None:
    from engine import settings

    with transaction() as session:
        current = settings.values(session)
    rows = {key: current[key] for key in settings.known()}
    emit(as_json, rows, lambda v: "\n".join(
        f"{k} = {val}  ({settings.known()[k].description})" for k, val in v.items()))


@setting_group.command("set", help="修改一项设置")
@click.argument("key")
@click.argument("value")
@click.option("--user", "username", default="admin", show_default=True)
@command
def setting_set(key: str, value: str, username: str) -> None:
    from engine import settings
    from engine.timing import holidays
    from engine.timing.clock import system_now

    with transaction() as session:
        actor(session, username)
        stored = settings.change(session, key, value, username, system_now())
        holidays.changed(session, username, system_now())
    click.echo(f"{key} = {stored}")


def register(main: click.Group) -> None:
    for cmd in (timers, worker, calendar_group, setting_group):
        main.add_command(cmd)


