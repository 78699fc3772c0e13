"""The `zhunru` command: each subcommand is one transaction; errors exit 2 with one clear line each."""
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine import definitions, directory, files, queries, runtime, schema
from engine import timers as timers_engine
from engine.clock import parse_instant, system_now
from engine.db import make_engine, make_sessionmaker
from engine.errors import InvalidInput, ZhunruError

PROJECT_ROOT = Path.cwd()


class _State:
    def __init__(self) -> None:
        self._sessions = None

    @property
    def sessions(self):
        if self._sessions is None:
            self._sessions = make_sessionmaker(make_engine())
        return self._sessions


state = _State()


@contextmanager
def transaction() -> Iterator[Session]:
    """One command, one transaction: committed when the block ends, rolled back on any error."""
    with state.sessions() as session, session.begin():
        yield session


def _fail(message: str) -> None:
    for line in message.splitlines() or [message]:
        click.echo(f"错误: {line}", err=True)
    sys.exit(2)


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Map every expected failure to exit status 2 and a message naming what is wrong."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ZhunruError as exc:
            _fail(str(exc))
        except DBAPIError as exc:
            _fail(f"数据库错误 (是否已运行 zhunru init?): {exc.orig}")
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _json_arg(text: str | None, option: str) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{option} 不是有效的 JSON: {exc.msg} (第 {exc.pos + 1} 个字符)") from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{option} 必须是 JSON 对象")
    return value


def _emit(as_json: bool, value: Any, text: Callable[[Any], str]) -> None:
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=False, default=str, indent=None))
    else:
        click.echo(text(value))


def _actor(session: Session, username: str) -> directory.Actor:
    return directory.actor(session, username)


@click.group(help="准入 Zhunru: 市场准入负面清单工作机制的流程引擎")
def main() -> None:
    pass


@main.command(help="创建或升级数据库结构，部署 processes/ 与 forms/ 中的全部定义")
@click.option("--demo", is_flag=True, help="同时载入演示单位与用户")
@command
def init(demo: bool) -> None:
    engine = make_engine()
    schema.upgrade(engine)
    now = system_now()
    with transaction() as session:
        if demo:
            directory.load_demo(session, now)
        elif directory.actor_or_none(session, "admin") is None:
            directory.add_user(session, "admin", "系统管理员", None, ["admin"], now)
        deployed = definitions.deploy(session, definitions.project_files(PROJECT_ROOT), "admin", now)
    for d in deployed:
        state_text = "新版本" if d.created else "未变化"
        click.echo(f"{'流程' if d.kind == 'process' else '表单'} {d.key} v{d.version} ({state_text})")


@main.command(help="部署 BPMN 流程 (.bpmn) 与表单 (.json)；未变化的文件不产生新版本")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def deploy(paths: tuple[str, ...], username: str, as_json: bool) -> None:
    loaded = []
    for path in paths:
        try:
            loaded.append((path, Path(path).read_bytes()))
        except OSError as exc:
            raise InvalidInput(f"{path}: 无法读取: {exc.strerror}") from exc
    with transaction() as session:
        _actor(session, username)
        deployed = definitions.deploy(session, loaded, username, system_now())
    _emit(as_json, [{"kind": d.kind, "id": d.key, "version": d.version, "created": d.created}
                    for d in deployed],
          lambda rows: "\n".join(f"{r['id']} v{r['version']} {'新版本' if r['created'] else '未变化'}"
                                 for r in rows))


@main.command(help="列出已部署的流程")
@click.option("--json", "as_json", is_flag=True)
@command
def processes(as_json: bool) -> None:
    with transaction() as session:
        rows = definitions.process_summaries(session)
    _emit(as_json, rows, lambda rs: "\n".join(f"{r['process_id']} v{r['version']} {r['name']}" for r in rs))


@main.command(help="启动一个流程实例")
@click.argument("process_id")
@click.option("--data", help="启动数据 (JSON 对象)")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def start(process_id: str, data: str | None, username: str, as_json: bool) -> None:
    payload = _json_arg(data, "--data")
    with transaction() as session:
        instance = runtime.start_instance(session, process_id, payload, _actor(session, username), system_now())
        version = definitions.load(session, instance.definition_id).version
    _emit(as_json, {"instance_id": instance.id, "process_id": process_id, "version": version,
                    "status": instance.status},
          lambda v: f"已启动 {v['process_id']} v{v['version']}: {v['instance_id']} ({v['status']})")


@main.command(help="列出用户可办理的待办任务")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def tasks(username: str, as_json: bool) -> None:
    with transaction() as session:
        rows = queries.tasks_for(session, _actor(session, username))
    _emit(as_json, rows, lambda rs: "\n".join(
        f"{r['task_id']}  {r['title']}  [{r['organisation'] or r['group'] or r['assignee']}]  "
        f"截止 {r['due_at'] or '-'}  {r['case_title']}" for r in rs) or "没有待办任务")


@main.command(help="办理 (完成) 一个待办任务")
@click.argument("task_id")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--data", help="表单数据 (JSON 对象)")
@click.option("--json", "as_json", is_flag=True)
@command
def complete(task_id: str, username: str, data: str | None, as_json: bool) -> None:
    payload = _json_arg(data, "--data")
    with transaction() as session:
        instance = runtime.complete_task(session, task_id, payload, _actor(session, username), system_now())
    _emit(as_json, {"instance_id": instance.id, "status": instance.status,
                    "error": instance.error_message if instance.status == "error" else None},
          lambda v: f"已办理; 实例 {v['instance_id']} 状态 {v['status']}" + (f": {v['error']}" if v["error"] else ""))


@main.command(help="向等待中的实例发送消息")
@click.argument("instance_id")
@click.argument("name")
@click.option("--data", help="消息内容 (JSON 对象)")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def message(instance_id: str, name: str, data: str | None, username: str, as_json: bool) -> None:
    payload = _json_arg(data, "--data")
    with transaction() as session:
        instance = runtime.deliver_message(session, instance_id, name, payload, _actor(session, username),
                                           system_now())
    _emit(as_json, {"instance_id": instance.id, "status": instance.status},
          lambda v: f"消息已送达; 实例 {v['instance_id']} 状态 {v['status']}")


@main.command(help="查看实例状态")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
@command
def instance(instance_id: str, as_json: bool) -> None:
    with transaction() as session:
        view = queries.instance_view(session, instance_id)
    _emit(as_json, view, lambda v: "\n".join([
        f"{v['instance_id']} {v['process_id']} v{v['version']} {v['status']} {v['title']}",
        *(f"  待办 {t['task_name']} {t['title']} 截止 {t['due_at'] or '-'}" for t in v["ready_tasks"]),
        *(f"  定时 {t['task_name']} {t['due_at']}" for t in v["waiting_timers"]),
        *([f"  错误 {v['error']['task_name']}: {v['error']['message']}"] if v["error"] else []),
    ]))


@main.command(help="查看实例的历史记录")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
@command
def history(instance_id: str, as_json: bool) -> None:
    with transaction() as session:
        rows = queries.history_view(session, instance_id)
    _emit(as_json, rows, lambda rs: "\n".join(
        f"{r['seq']:>4} {r['at']} {r['actor']:<16} {r['kind']:<18} {r['task_name'] or ''}" for r in rs))


@main.command(help="重试出错的实例")
@click.argument("instance_id")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def retry(instance_id: str, username: str, as_json: bool) -> None:
    with transaction() as session:
        instance = runtime.retry(session, instance_id, _actor(session, username), system_now())
    _emit(as_json, {"instance_id": instance.id, "status": instance.status,
                    "error": instance.error_message if instance.status == "error" else None},
          lambda v: f"实例 {v['instance_id']} 状态 {v['status']}" + (f": {v['error']}" if v["error"] else ""))


@main.command(help="撤销实例")
@click.argument("instance_id")
@click.option("--reason", required=True, help="撤销理由")
@click.option("--user", "username", default="admin", show_default=True)
@command
def cancel(instance_id: str, reason: str, username: str) -> None:
    with transaction() as session:
        runtime.cancel(session, instance_id, _actor(session, username), system_now(), reason)
    click.echo(f"实例 {instance_id} 已撤销")


@main.group(help="定时器")
def timers() -> None:
    pass


@timers.command("fire", help="触发到期的定时器 (--now 用于模拟时间)")
@click.option("--now", "now_text", help="当前时间 (ISO 8601)")
@click.option("--json", "as_json", is_flag=True)
@command
def timers_fire(now_text: str | None, as_json: bool) -> None:
    now = parse_instant(now_text, "--now") if now_text else system_now()
    fired = timers_engine.fire_due(state.sessions, now)
    _emit(as_json, {"fired": fired}, lambda v: "\n".join(
        f"{f['instance_id']} {f['task_name']}" for f in v["fired"]) or "没有到期的定时器")


@main.group(help="用户")
def user() -> None:
    pass


@user.command("list", help="列出用户")
@click.option("--json", "as_json", is_flag=True)
@command
def user_list(as_json: bool) -> None:
    with transaction() as session:
        rows = directory.users(session)
    _emit(as_json, rows, lambda rs: "\n".join(
        f"{r['username']:<28} {r['organisation'] or '-':<26} {','.join(r['roles'])}" for r in rs))


@user.command("add", help="添加用户")
@click.argument("username")
@click.option("--organisation", help="单位代码")
@click.option("--role", "roles", multiple=True, default=("handler",), show_default=True,
              help="handler 经办人 / leader 负责人 / admin 管理员，或泳道组名；可重复")
@click.option("--name", "display_name", help="姓名")
@command
def user_add(username: str, organisation: str | None, roles: tuple[str, ...], display_name: str | None) -> None:
    with transaction() as session:
        directory.add_user(session, username, display_name or username, organisation, list(roles), system_now())
    click.echo(f"已添加用户 {username}")


@main.group("file", help="证明材料文件")
def file_group() -> None:
    pass


@file_group.command("add", help="上传一个文件，返回可在表单中引用的文件 id")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def file_add(path: str, username: str, as_json: bool) -> None:
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: 无法读取: {exc.strerror}") from exc
    with transaction() as session:
        _actor(session, username)
        row = files.store(session, Path(path).name, content, username, system_now())
    _emit(as_json, {"file_id": row.id, "sha256": row.sha256, "size": row.size, "content_type": row.content_type},
          lambda v: f"{v['file_id']} sha256={v['sha256']} {v['size']} 字节")


def _start_scheduler(interval: int):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(lambda: timers_engine.fire_due(state.sessions, system_now()), "interval",
                      seconds=interval, id="fire_timers", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler


@main.command(help="只运行定时器 (不提供网页)，每隔几秒触发到期的定时器")
@click.option("--interval", default=5, show_default=True, help="检查间隔 (秒)")
@command
def worker(interval: int) -> None:
    import time

    scheduler = _start_scheduler(interval)
    click.echo(f"定时器 worker 已启动，每 {interval} 秒检查一次")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        scheduler.shutdown()


@main.command(help="启动网页服务与定时器")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--interval", default=5, show_default=True, help="定时器检查间隔 (秒)")
@command
def serve(host: str, port: int, interval: int) -> None:
    from web.app import create_app

    app = create_app({"SESSIONS": state.sessions})
    scheduler = _start_scheduler(interval)
    click.echo(f"Zhunru 已启动: http://{host}:{port}/")
    try:
        app.run(host=host, port=port, threaded=True)
    finally:
        scheduler.shutdown()
