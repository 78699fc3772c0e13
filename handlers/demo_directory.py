"""The demo directory: the two places of the source documents and a user for every part of each mechanism,
for `zhunru init --demo`, the tests and the benchmarks."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import settings
from engine.people import directory
from engine.store.models import User

# (code, name, kind, parent, function, number prefix): the two places of the source documents, 临汾市 with
# some of its counties and districts, and 襄垣县 of 长治市, both under 山西省.
DEMO_ORGANISATIONS = [
    ("province_gov", "山西省人民政府", "government", None, None, "SX"),
    ("province_ndrc", "山西省发展和改革委员会", "department", "province_gov", "ndrc", None),
    ("city_gov", "临汾市人民政府", "government", "province_gov", None, "LF"),
    ("city_ndrc", "临汾市发展和改革委员会", "department", "city_gov", "ndrc", None),
    ("city_market_regulation", "临汾市市场监督管理局", "department", "city_gov", "market_regulation", None),
    ("city_approval_bureau", "临汾市行政审批服务管理局", "department", "city_gov", "approval", None),
    ("city_housing", "临汾市住房和城乡建设局", "department", "city_gov", "housing", None),
    ("city_justice", "临汾市司法局", "department", "city_gov", "justice", None),
    ("yaodu_gov", "临汾市尧都区人民政府", "government", "city_gov", None, "YD"),
    ("yaodu_ndrc", "临汾市尧都区发展和改革局", "department", "yaodu_gov", "ndrc", None),
    ("yaodu_market_regulation", "临汾市尧都区市场监督管理局", "department", "yaodu_gov", "market_regulation", None),
    ("houma_gov", "侯马市人民政府", "government", "city_gov", None, "HM"),
    ("houma_ndrc", "侯马市发展和改革局", "department", "houma_gov", "ndrc", None),
    ("hongtong_gov", "洪洞县人民政府", "government", "city_gov", None, "HT"),
    ("hongtong_ndrc", "洪洞县发展和改革局", "department", "hongtong_gov", "ndrc", None),
    ("changzhi_gov", "长治市人民政府", "government", "province_gov", None, "CZ"),
    ("changzhi_ndrc", "长治市发展和改革委员会", "department", "changzhi_gov", "ndrc", None),
    ("county_gov", "襄垣县人民政府", "government", "changzhi_gov", None, "XY"),
    ("county_ndrc", "襄垣县发展改革和科学技术局", "department", "county_gov", "ndrc", None),
    ("county_approval_bureau", "襄垣县行政审批服务管理局", "department", "county_gov", "approval", None),
    ("county_market_regulation", "襄垣县市场监督管理局", "department", "county_gov", "market_regulation", None),
    ("county_justice", "襄垣县司法局", "department", "county_gov", "justice", None),
    ("county_housing", "襄垣县住房和城乡建设管理局", "department", "county_gov", "housing", None),
    ("county_transport", "襄垣县交通运输局", "department", "county_gov", "transport", None),
]

# (username, name, organisation, roles, signs in with the demo password)
_SPECIAL_USERS = [
    ("admin", "系统管理员", None, ["admin"], True),
    ("city_auditor", "临汾市审计员", "city_gov", ["auditor"], True),
    ("county_auditor", "襄垣县审计员", "county_gov", ["auditor"], True),
    ("process_owner", "市发展改革委流程管理员", "city_ndrc", ["process_admin"], True),
    # The 12345 platform's account: it enters complaints into the county NDRC's ledger through the API.
    ("hotline_12345", "12345热线平台接口", "county_ndrc", ["platform", "complaint"], False),
]


def load_demo(session: Session, now: datetime, password_hash: str | None = None) -> int:
    """The demo organisation tree; per organisation a leader named like its code and a handler
    `<code>_clerk`; and `admin`. Idempotent: a database made from an older tree is brought in line with this
    one (parents, functions, prefixes)."""
    created = 0
    for code, name, kind, parent, function, prefix in DEMO_ORGANISATIONS:
        org = directory.organisation(session, code)
        if org is None:
            directory.add_organisation(session, code=code, name=name, kind=kind, parent=parent, now=now,
                                       function=function,
                                       number_prefix=prefix)
            created += 1
        else:
            parent_id = None
            if parent:
                parent_row = directory.organisation(session, parent)
                assert parent_row is not None, parent  # the demo tree lists a parent before its children
                parent_id = parent_row.id
            if (org.name, org.parent_id, org.function, org.number_prefix) != (name, parent_id, function, prefix):
                org.name, org.parent_id, org.function, org.number_prefix = name, parent_id, function, prefix
                settings.new_revision(session, settings.DIRECTORY_REVISION, "admin", now)
        for username, display, roles in ((code, f"{name}负责人", ["handler", "leader"]),
                                         (f"{code}_clerk", f"{name}经办人", ["handler"])):
            if session.scalars(select(User).where(User.username == username)).first() is None:
                directory.add_user(session, username=username, display_name=display, organisation_code=code,
                                   roles=roles, now=now, password_hash=password_hash)
    for username, display, organisation, roles, has_password in _SPECIAL_USERS:
        if session.scalars(select(User).where(User.username == username)).first() is None:
            directory.add_user(session, username=username, display_name=display, organisation_code=organisation,
                               roles=roles, now=now, password_hash=password_hash if has_password else None)
    return created
