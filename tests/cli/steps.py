"""The steps a person takes on the command line, shared by the tests that drive whole processes through it."""
import json


def task(cli, user, name, iid=None):
    """The id of the user's ready step `name` (of case `iid`, when given)."""
    ready = [t for t in cli("tasks", "--user", user, "--json")
             if t["task_name"] == name and iid in (None, t["instance_id"])]
    assert ready, f"{name} not ready for {user}"
    return ready[0]["task_id"]


def complete(cli, user, name, data, now, iid=None):
    return cli("complete", task(cli, user, name, iid), "--user", user, "--data", json.dumps(data), "--json",
               now=now)


def start(cli, process_id, user, data, now):
    return cli("start", process_id, "--user", user, "--data", json.dumps(data), "--json", now=now)["instance_id"]


def view(cli, iid):
    return cli("instance", iid, "--json")


def upload(cli, tmp_path, name, user):
    """A file uploaded by the user who will name it in a form: no one else may (evidence cannot be borrowed)."""
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 " + name.encode())
    return cli("file", "add", str(path), "--user", user, "--json")["file_id"]
