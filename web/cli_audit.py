"""`zhunru audit`: verify the tamper-evident record of cases, export event logs, read the access log.

Each command imports the engine modules it uses when it runs (see web/cli.py).
"""
import sys

import click

from .cli_support import actor, command, emit, transaction, write_file


@click.group("audit", help="审计：核验办件记录未被篡改")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="核验哈希链、证明材料与重放结果；有任何不符时退出码为 1")
@click.argument("instance_id", required=False)
@click.option("--all", "all_instances", is_flag=True, help="核验全部办件")
@click.option("--anchors", type=click.Path(dir_okay=False),
              help="对照审计员保存的检查点文件 (audit checkpoint --export 导出的 JSON Lines)")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def verify(instance_id: str | None, all_instances: bool, anchors: str | None, username: str, as_json: bool) -> None:
    from engine.audit import access_log, checkpoints, replay  # audit replays cases: SpiffWorkflow, lxml, the handlers
    from engine.timing.clock import system_now

    if bool(instance_id) == all_instances:
        raise click.UsageError("请给出一个办件编号，或使用 --all")
    exported = checkpoints.read_jsonl(anchors) if anchors else None
    with transaction() as session:
        actor(session, username)
        result = replay.verify(session, None if all_instances else [instance_id], exported)
        access_log.record(session, username=username, action="verify", target=instance_id or "全部办件",
                          now=system_now(), detail={"verified": result["verified"], "failed": len(result["failed"])})
    emit(as_json, result, lambda r: "\n".join([
        f"核验通过 {r['verified']} 个办件，不符 {len(r['failed'])} 个",
        *(f"  {f['instance_id']} 第 {f['seq']} 号事件: {f['reason']}" for f in r["failed"])]))
    if result["failed"]:
        sys.exit(1)


@audit_group.command("checkpoint", help="记录全部办件的链尾检查点 (以 ZHUNRU_AUDIT_KEY 签名)；--export 导出全部检查点")
@click.option("--export", "export_path", type=click.Path(dir_okay=False),
              help="把全部检查点导出为 JSON Lines，交审计员在系统外保存 (不再新记录)")
@click.option("--user", "username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@command
def checkpoint(export_path: str | None, username: str, as_json: bool) -> None:
    from engine.audit import access_log, checkpoints
    from engine.timing.clock import system_now

    with transaction() as session:
        actor(session, username)
        if export_path:
            found = checkpoints.entries(session)
            write_file(export_path, checkpoints.to_jsonl(found).encode("utf-8"))
            access_log.record(session, username=username, action="export_checkpoints", target="全部检查点",
                              now=system_now(), detail={"path": export_path, "checkpoints": len(found)})
            result = {"exported": len(found), "path": export_path}
        else:
            entry = checkpoints.write(session, username, system_now())
            result = {"checkpoint": entry["id"], "cases": len(entry["heads"]), "hash": entry["hash"]}
    emit(as_json, result, lambda r: f"已导出 {r['exported']} 个检查点 → {r['path']}" if "exported" in r
         else f"已记录第 {r['checkpoint']} 号检查点，涵盖 {r['cases']} 个办件")


@audit_group.command("export-xes", help="导出流程挖掘事件日志 (XES，IEEE 1849)；.csv 结尾的路径导出 CSV")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--process", "process_id", help="只导出该流程的办件")
@click.option("--user", "username", default="admin", show_default=True)
@command
def export_xes(path: str, process_id: str | None, username: str) -> None:
    from engine.audit import access_log, process_mining
    from engine.timing.clock import system_now

    as_csv = path.lower().endswith(".csv")
    with transaction() as session:
        actor(session, username)
        entries = process_mining.rows(session, process_id)
        content = process_mining.to_csv(entries) if as_csv else process_mining.to_xes(entries)
        access_log.record(session, username=username, action="export_csv" if as_csv else "export_xes",
                          target=process_id or "全部流程",
                          now=system_now(), detail={"path": path, "events": len(entries),
                                         "cases": len({e["case_id"] for e in entries})})
        write_file(path, content)
    click.echo(f"已导出 {len({e['case_id'] for e in entries})} 个办件、{len(entries)} 个事件 → {path}")


@audit_group.command("log", help="查看访问日志 (审计查看与导出)")
@click.option("--json", "as_json", is_flag=True)
@command
def log(as_json: bool) -> None:
    from engine.audit import access_log

    with transaction() as session:
        rows = access_log.entries(session)
    emit(as_json, rows, lambda rs: "\n".join(
        f"{r['at']} {r['username']:<16} {r['action']:<12} {r['target']}" for r in rs) or "没有访问记录")


def register(main: click.Group) -> None:
    main.add_command(audit_group)
