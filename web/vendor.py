"""bpmn-js, dmn-js, form-js and ECharts as installed by npm (package-lock.json), served from node_modules,
never vendored."""
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

ROOT = Path(__file__).resolve().parent.parent / "node_modules"
PACKAGES = {
    "form-js": ROOT / "@bpmn-io" / "form-js" / "dist",
    "bpmn-js": ROOT / "bpmn-js" / "dist",
    "dmn-js": ROOT / "dmn-js" / "dist",
    "echarts": ROOT / "echarts" / "dist",
}

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.get("/<package>/<path:filename>")
def asset(package: str, filename: str):
    folder = PACKAGES.get(package)
    if folder is None or not (filename.endswith((".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg"))):
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)
