"""The `zhunru` command: each subcommand is one transaction; errors exit 2 with one clear line each.

Each command imports the engine modules it uses when it runs, so `zhunru --help` loads little more than click
and a simple command no SpiffWorkflow parser, Alembic or openpyxl it does not need (tests/cli/test_cli_start.py).
"""
import sys
from pathlib import Path

import click

from . import cli_audit, cli_directory, cli_records, cli_time, logs
from .cli_support import (
    PROJECT_ROOT,
    actor,
    command,
    due_text,
    emit,
    fail,
    json_arg,
    read_file,
    state,
    transaction,
    write_file,
)


@click.group(help="准入 Zhunru: 市场准入负面清单工作机制的流程引擎 (日志: ZHUNRU_LOG_LEVEL, ZHUNRU_LOG_FORMAT=json)")
def main() -> None:
    try:
        logs.configure()  # every command, the worker and serve: level and format from the environment
    except ValueError as exc:
        fail(str(exc))


@main.command(help="创建或升级数据库结构，部署 forms/、decisions/ 与 processes/ 中的全部定义")
@click.option("--demo", is_flag=True, help="同时载入演示单位、用户与演示办件 (已有演示办件时不重复载入)")
@click.option("--cases/--no-cases", default=True, show_default=True,
              help="与 --demo 一起：是否载入演示办件 (--no-cases 只载入单位与用户，测试用)")
@command
def init(demo: bool, cases: bool) -> None:
    from engine import definitions
    from engine.people import credentials, directory
    from engine.store import schema  # Alembic
    from engine.store.db import make_engine
    from engine.timing import holidays
    from engine.timing.clock import system_now
    from handlers import demo_directory

    engine = make_engine()
    schema.upgrade(engine)
    now = system_now()
    with transaction() as session:
        holidays.seed(session, "admin", now)
        if demo:
            demo_directory.load_demo(session, now, credentials.demo_password_hash())
        elif directory.actor_or_none(session, "admin") is None:
            directory.add_user(session, username="admin", display_name="系统管理员", organisation_code=None,
                               roles=["admin"], now=now)
        deployed = definitions.deploy(session, definitions.project_files(PROJECT_ROOT), "admin", now)
    for d in deployed:
        state_text = "新版本" if d.created else "未变化"
        kind = {"process": "流程", "form": "表单", "decision": "决策表"}[d.kind]
        click.echo(f"{kind} {d.key} v{d.version} ({state_text})")
    if demo and cases:
        import time

        from handlers import demo_cases

        began = time.perf_counter()
        with transaction() as session:  # the demo cases need the definitions just deployed
            made = demo_cases.seed(session, now)
        if made is None:
            click.echo("演示办件已存在，未重复载入")
        else:
            click.echo(f"已载入演示办件 {len(made)} 件 (用时 {time.perf_counter() - began:.1f} 秒)")


@main.command(help="部署 BPMN 流程 (.bpmn)、DMN 决策表 (.dmn) 与表单 (.json)；未变化的文件不产生新版本")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def deploy(paths: tuple[str, ...], username: str, as_json: bool) -> None:
    from engine import definitions
    from engine.timing.clock import system_now

    loaded = [(path, read_file(path)) for path in paths]
    with transaction() as session:
        actor(session, username)
        deployed = definitions.deploy(session, loaded, username, system_now())
    emit(as_json, [{"kind": d.kind, "id": d.key, "version": d.version, "created": d.created}
                    for d in deployed],
          lambda rows: "\n".join(f"{r['id']} v{r['version']} {'新版本' if r['created'] else '未变化'}"
                                 for r in rows))


@main.command(help="导出已部署的流程 XML (缺省写回 processes/ 下的原文件名；--decision 导出决策表到 decisions/；"
                   "--output - 输出到标准输出)")
@click.argument("process_id")
@click.option("--version", "version", type=int, help="版本号，缺省为最新版本")
@click.option("--output", help="输出文件路径，- 表示标准输出")
@click.option("--decision", is_flag=True, help="导出的是 DMN 决策表 (参数为决策 id)")
@command
def export(process_id: str, version: int | None, output: str | None, decision: bool) -> None:
    from engine import decisions, versions

    with transaction() as session:
        row = (decisions.version_row if decision else versions.version_row)(session, process_id, version)
        xml, filename, number = row.xml, row.filename, row.version
    if output == "-":
        click.echo(xml, nl=False)
        return
    target = Path(output) if output else PROJECT_ROOT / ("decisions" if decision else "processes") / filename
    write_file(target, xml.encode("utf-8"))
    click.echo(f"已导出 {process_id} v{number} → {target}")


@main.command(help="列出已部署的流程")
@click.option("--json", "as_json", is_flag=True)
@command
def processes(as_json: bool) -> None:
    from engine import versions

    with transaction() as session:
        rows = versions.process_summaries(session)
    emit(as_json, rows, lambda rs: "\n".join(f"{r['process_id']} v{r['version']} {r['name']}" for r in rs))


@main.command(help="启动一个流程实例")
@click.argument("process_id")
@click.option("--data", help="启动数据 (JSON 对象)")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def start(process_id: str, data: str | None, username: str, as_json: bool) -> None:
    from engine import definitions, runtime
    from engine.timing.clock import system_now

    payload = json_arg(data, "--data")
    with transaction() as session:
        instance = runtime.start_instance(session, process_id, payload, actor(session, username), system_now())
        version = definitions.load(session, instance.definition_id).version
    emit(as_json, {"instance_id": instance.id, "process_id": process_id, "version": version,
                    "status": instance.status},
          lambda v: f"已启动 {v['process_id']} v{v['version']}: {v['instance_id']} ({v['status']})")


@main.command(help="列出用户可办理的待办任务")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--scope", type=click.Choice(("mine", "organisation")),
              help="mine 我的 / organisation 本单位；缺省为全部可办理的")
@click.option("--json", "as_json", is_flag=True)
@command
def tasks(username: str, scope: str | None, as_json: bool) -> None:
    from engine import queries
    from engine.timing.clock import system_now

    with transaction() as session:
        rows = queries.task_page(session, actor(session, username), system_now(), scope, per_page=1000)["items"]
    emit(as_json, rows, lambda rs: "\n".join(
        f"{r['task_id']}  {r['title']}  [{r['assignee'] or r['organisation'] or r['group']}]  "
        f"截止 {due_text(r)}  {r['case_title']}" for r in rs) or "没有待办任务")


@main.command(help="办理 (完成) 一个待办任务")
@click.argument("task_id")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--data", help="表单数据 (JSON 对象)")
@click.option("--json", "as_json", is_flag=True)
@command
def complete(task_id: str, username: str, data: str | None, as_json: bool) -> None:
    from engine import runtime
    from engine.timing.clock import system_now

    payload = json_arg(data, "--data")
    with transaction() as session:
        instance = runtime.complete_task(session, task_id, payload, actor(session, username), system_now())
    emit(as_json, {"instance_id": instance.id, "status": instance.status,
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
    from engine import runtime
    from engine.timing.clock import system_now

    payload = json_arg(data, "--data")
    with transaction() as session:
        instance = runtime.deliver_message(session, instance_id=instance_id, name=name, payload=payload,
                                           actor=actor(session, username),
                                           now=system_now())
    emit(as_json, {"instance_id": instance.id, "status": instance.status},
          lambda v: f"消息已送达; 实例 {v['instance_id']} 状态 {v['status']}")


@main.command(help="查看实例状态")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
@command
def instance(instance_id: str, as_json: bool) -> None:
    from engine import queries
    from engine.timing.clock import system_now

    with transaction() as session:
        view = queries.instance_view(session, instance_id, system_now())
    emit(as_json, view, lambda v: "\n".join([
        f"{v['instance_id']} {v['process_id']} v{v['version']} {v['status']} {v['title']}",
        *(f"  待办 {t['task_name']} {t['title']} 截止 {due_text(t)}" for t in v["ready_tasks"]),
        *(f"  定时 {t['task_name']} {t['due_at']}{' (暂按周一至周五计算)' if t['provisional'] else ''}"
          for t in v["waiting_timers"]),
        *(f"  已报告 {e['reported_to']}: {e['step']} 逾期 ({e['escalated_at']})" for e in v["escalations"]),
        *([f"  错误 {v['error']['task_name']}: {v['error']['message']}"] if v["error"] else []),
    ]))


@main.command(help="查看实例的历史记录")
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
@command
def history(instance_id: str, as_json: bool) -> None:
    from engine import queries

    with transaction() as session:
        rows = queries.history_view(session, instance_id)
    emit(as_json, rows, lambda rs: "\n".join(
        f"{r['seq']:>4} {r['at']} {r['actor']:<16} {r['kind']:<18} {r['task_name'] or ''}" for r in rs))


@main.command(help="重试出错的实例")
@click.argument("instance_id")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def retry(instance_id: str, username: str, as_json: bool) -> None:
    from engine import runtime
    from engine.timing.clock import system_now

    with transaction() as session:
        instance = runtime.retry(session, instance_id, actor(session, username), system_now())
    emit(as_json, {"instance_id": instance.id, "status": instance.status,
                    "error": instance.error_message if instance.status == "error" else None},
          lambda v: f"实例 {v['instance_id']} 状态 {v['status']}" + (f": {v['error']}" if v["error"] else ""))


@main.command(help="撤销实例")
@click.argument("instance_id")
@click.option("--reason", required=True, help="撤销理由")
@click.option("--user", "username", default="admin", show_default=True)
@command
def cancel(instance_id: str, reason: str, username: str) -> None:
    from engine import runtime
    from engine.timing.clock import system_now

    with transaction() as session:
        runtime.cancel(session, instance_id, actor(session, username), system_now(), reason)
    click.echo(f"实例 {instance_id} 已撤销")


@main.group(help="用户")
def user() -> None:
    pass


@user.command("list", help="列出用户")
@click.option("--json", "as_json", is_flag=True)
@command
def user_list(as_json: bool) -> None:
    from engine.people import directory

    with transaction() as session:
        rows = directory.users(session)
    emit(as_json, rows, lambda rs: "\n".join(
        f"{r['username']:<28} {r['organisation'] or '-':<26} {','.join(r['roles'])}"
        + ("  (已停用)" if r["disabled"] else "") for r in rs))


@user.command("add", help="添加用户")
@click.argument("username")
@click.option("--organisation", help="单位代码")
@click.option("--role", "roles", multiple=True, default=("handler",), show_default=True,
              help="handler 经办人 / leader 负责人 / admin 管理员，或泳道组名；可重复")
@click.option("--name", "display_name", help="姓名")
@command
def user_add(username: str, organisation: str | None, roles: tuple[str, ...], display_name: str | None) -> None:
    from engine.people import directory
    from engine.timing.clock import system_now

    with transaction() as session:
        directory.add_user(session, username=username, display_name=display_name or username,
                           organisation_code=organisation, roles=list(roles), now=system_now())
    click.echo(f"已添加用户 {username}")


@user.command("passwd", help="设置用户密码 (非终端时从标准输入读取)")
@click.argument("username")
@command
def user_passwd(username: str) -> None:
    from engine.people import credentials

    if sys.stdin.isatty():
        password = click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    from engine.timing.clock import system_now

    with transaction() as session:
        credentials.set_password(session, username, password, system_now())
    click.echo(f"已设置 {username} 的密码 (其全部会话与 API 令牌已失效)")


@user.command("token", help="为用户生成 API 令牌 (只显示一次；有效期见设置 token_lifetime_days)")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="吊销该用户的全部令牌，并结束其全部会话")
@click.option("--list", "listing", is_flag=True, help="列出该用户的令牌：签发、到期与最近使用时间")
@click.option("--json", "as_json", is_flag=True)
@command
def user_token(username: str, revoke: bool, listing: bool, as_json: bool) -> None:
    from engine.audit import access_log
    from engine.people import credentials
    from engine.timing.clock import system_now

    now = system_now()
    with transaction() as session:
        if revoke:
            credentials.revoke_tokens(session, username, now)
            access_log.record(session, username="admin", action="token_revoked", target=username, now=now)
        if revoke or listing:
            rows = credentials.tokens(session, username, now)
        else:
            token = credentials.issue_token(session, username, now)
    if not (revoke or listing):
        click.echo(token)
        return
    if revoke:
        click.echo(f"已吊销 {username} 的全部 API 令牌并结束其全部会话", err=as_json)
    emit(as_json, rows, lambda rs: "\n".join(
        f"#{r['id']:<5} {r['state']}  签发 {r['created_at'][:16].replace('T', ' ')}  "
        f"到期 {r['expires_at'][:16].replace('T', ' ')}  "
        f"最近使用 {(r['last_used_at'] or '从未使用')[:16].replace('T', ' ')}" for r in rs) or "(无令牌)")


@user.command("disable", help="停用用户：不能再登录或使用令牌，其全部会话与令牌立即失效")
@click.argument("username")
@command
def user_disable(username: str) -> None:
    from engine.audit import access_log
    from engine.people import directory
    from engine.timing.clock import system_now

    now = system_now()
    with transaction() as session:
        directory.disable(session, username, now)
        access_log.record(session, username="admin", action="user_disabled", target=username, now=now)
    click.echo(f"已停用 {username}，其全部会话与 API 令牌已失效")


@user.command("enable", help="重新启用已停用的用户 (可再以密码登录；原有令牌仍失效)")
@click.argument("username")
@command
def user_enable(username: str) -> None:
    from engine.audit import access_log
    from engine.people import directory
    from engine.timing.clock import system_now

    with transaction() as session:
        directory.enable(session, username)
        access_log.record(session, username="admin", action="user_enabled", target=username, now=system_now())
    click.echo(f"已启用 {username}")


@main.group("file", help="证明材料文件")
def file_group() -> None:
    pass


@file_group.command("add", help="上传一个文件，返回可在表单中引用的文件 id (只有上传人本人能在表单中引用它；"
                                  "在任何表单中使用前它不属于任何办件，超过设置 upload_unlinked_days 天未使用即删除)")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--user", "username", default="admin", show_default=True, help="上传人 (之后以同一用户办理任务)")
@click.option("--json", "as_json", is_flag=True)
@command
def file_add(path: str, username: str, as_json: bool) -> None:
    from engine import files
    from engine.timing.clock import system_now

    content = read_file(path)
    with transaction() as session:
        actor(session, username)
        row = files.upload(session, Path(path).name, content, username, system_now())
    emit(as_json, {"file_id": row.id, "sha256": row.sha256, "size": row.size, "content_type": row.content_type},
          lambda v: f"{v['file_id']} sha256={v['sha256']} {v['size']} 字节")


@main.command(help="启动网页服务与定时器")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--interval", default=3, show_default=True, help="定时器检查间隔 (秒)")
@command
def serve(host: str, port: int, interval: int) -> None:
    from web.app import create_app

    app = create_app({"SESSIONS": state.sessions})
    scheduler = cli_time.start_scheduler(interval)
    click.echo(f"Zhunru 已启动: http://{host}:{port}/")
    try:
        app.run(host=host, port=port, threaded=True)
    finally:
        scheduler.shutdown()


cli_time.register(main)
cli_audit.register(main)
cli_records.register(main)
cli_directory.register(main)
