"""Uploads from the CLI belong to `--user`; the worker's tick deletes those no case used after the setting's age."""
from sqlalchemy import create_engine, text


def test_the_worker_tick_deletes_uploads_no_case_used_after_the_setting(cli, db_url, tmp_path):
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(b"%PDF-1.4 never used")
    cli("setting", "set", "upload_unlinked_days", "3")
    old = cli("file", "add", str(pdf), "--user", "county_gov", "--json", now="2026-03-01T09:00:00+08:00")["file_id"]
    new = cli("file", "add", str(pdf), "--user", "county_gov", "--json", now="2026-03-03T09:00:00+08:00")["file_id"]
    assert cli("timers", "fire", "--now", "2026-03-04T08:00:00+08:00", "--json")["cleaned_files"] == 0
    tick = cli("timers", "fire", "--now", "2026-03-04T10:00:00+08:00")
    assert "已删除 1 个超期未使用的上传文件" in tick.stdout
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert {r[0] for r in connection.execute(text("SELECT id FROM stored_file"))} == {new} != {old}
    engine.dispose()
