"""`zhunru org`: the organisation tree a city or county runs on (regions, their NDRC, departments)."""
import click

from .cli_support import command, emit, transaction


@click.group("org", help="单位（组织机构树）")
def org_group() -> None:
    pass


@org_group.command("list", help="列出单位：代码、名称、类型、职能、上级、编号前缀")
@click.option("--json", "as_json", is_flag=True)
@command
def org_list(as_json: bool) -> None:
    from engine.people import directory

    with transaction() as session:
        orgs = directory.organisations(session)
        code_of = {o.id: o.code for o in orgs}
        rows = [{"code": o.code, "name": o.name, "kind": o.kind, "function": o.function,
                 "parent": code_of.get(o.parent_id), "number_prefix": o.number_prefix} for o in orgs]
    emit(as_json, rows, lambda rs: "\n".join(
        f"{r['code']:<28} {r['name']:<22} {directory.KINDS.get(r['kind'], r['kind'])}"
        f"{' · ' + r['function'] if r['function'] else ''}"
        f"{' · 上级 ' + r['parent'] if r['parent'] else ''}"
        f"{' · 编号前缀 ' + r['number_prefix'] if r['number_prefix'] else ''}" for r in rs))


@org_group.command("add", help="添加单位。地区是一个人民政府 (--kind government) 及其下属部门；"
                              "发展改革部门以 --function ndrc 标明，流程据此找到本地区的牵头单位")
@click.argument("code")
@click.option("--name", required=True, help="单位名称")
@click.option("--kind", type=click.Choice(["government", "department"]), default="department",
              show_default=True, help="government 人民政府 / department 部门")
@click.option("--parent", help="上级单位代码")
@click.option("--function", help="职能，例如 ndrc (发展改革部门)、justice (司法行政)、approval (行政审批)")
@click.option("--prefix", "number_prefix", help="本地区编号前缀 (人民政府)，例如 LF → LF-2026-0001")
@command
def org_add(code: str, name: str, kind: str, parent: str | None, function: str | None,
            number_prefix: str | None) -> None:
    from engine.people import directory
    from engine.timing.clock import system_now

    with transaction() as session:
        directory.add_organisation(session, code=code, name=name, kind=kind, parent=parent, now=system_now(),
                                   function=function,
                                   number_prefix=number_prefix)
    click.echo(f"已添加单位 {name} ({code})")


def register(main: click.Group) -> None:
    main.add_command(org_group)
