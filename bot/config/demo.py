"""The built-in demo org (the same as kesu.example.toml), used when no config file is given."""

from __future__ import annotations

from typing import Any

from bot.config.build import _build
from bot.config.model import KesuConfig

DEMO_SOURCE = "built-in demo org"

_DEMO: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "departments": [
        {"id": "sales", "name": "市场部", "head": "cs_mgr"},
        {"id": "qa", "name": "品质部", "head": "qa_mgr"},
        {"id": "rd", "name": "研发部", "head": "rd1"},
        {"id": "prod", "name": "生产部", "head": "prod1"},
        {"id": "wh", "name": "仓库", "head": "wh1"},
        {"id": "purchasing", "name": "采购部", "head": "buyer1"},
        {"id": "finance", "name": "财务部", "head": "fin1"},
    ],
    "people": [
        {
            "id": "sales1",
            "name": "张伟",
            "roles": ["sales"],
            "department": "sales",
            "manager": "cs_mgr",
            "feishu": "ou_sales1",
        },
        {
            "id": "sales2",
            "name": "李娜",
            "roles": ["sales"],
            "department": "sales",
            "manager": "cs_mgr",
            "feishu": "ou_sales2",
        },
        {"id": "qa1", "name": "王芳", "roles": ["qa"], "department": "qa", "manager": "qa_mgr", "feishu": "ou_qa1"},
        {
            "id": "qa_mgr",
            "name": "刘强",
            "roles": ["qa_manager"],
            "department": "qa",
            "manager": "vp",
            "feishu": "ou_qa_mgr",
        },
        {
            "id": "cs_mgr",
            "name": "陈静",
            "roles": ["cs_manager"],
            "department": "sales",
            "manager": "vp",
            "feishu": "ou_cs_mgr",
        },
        {"id": "vp", "name": "赵总", "roles": ["vp"], "manager": "gm", "feishu": "ou_vp"},
        {"id": "gm", "name": "孙总", "roles": ["gm"], "feishu": "ou_gm"},
        {"id": "rd1", "name": "周工", "roles": ["dept"], "department": "rd", "manager": "vp", "feishu": "ou_rd1"},
        {"id": "prod1", "name": "吴工", "roles": ["dept"], "department": "prod", "manager": "vp", "feishu": "ou_prod1"},
        {
            "id": "wh1",
            "name": "郑师傅",
            "roles": ["warehouse", "dept"],
            "department": "wh",
            "manager": "vp",
            "feishu": "ou_wh1",
        },
        {
            "id": "buyer1",
            "name": "冯敏",
            "roles": ["purchasing"],
            "department": "purchasing",
            "manager": "vp",
            "feishu": "ou_buyer1",
        },
        {
            "id": "fin1",
            "name": "褚红",
            "roles": ["finance"],
            "department": "finance",
            "manager": "gm",
            "feishu": "ou_fin1",
        },
    ],
    "chats": [
        {"id": "qa", "name": "品质群", "purpose": "qa", "feishu": "oc_qa"},
        {"id": "mgmt", "name": "管理层群", "purpose": "mgmt", "feishu": "oc_mgmt"},
        {"id": "sales", "name": "销售群", "purpose": "sales", "feishu": "oc_sales"},
    ],
    "customers": [
        {"name": "明辉电子", "aliases": ["明辉"]},
        {"name": "顺达电器", "aliases": ["顺达"]},
        {"name": "华为", "aliases": ["华为技术"]},
        {"name": "美的集团", "aliases": ["美的"]},
        {"name": "格力电器", "aliases": ["格力"]},
        {"name": "比亚迪", "aliases": ["BYD"]},
        {"name": "海尔智家", "aliases": ["海尔"]},
        {"name": "立讯精密", "aliases": ["立讯"]},
        {"name": "富士康", "aliases": ["鸿海", "Foxconn"]},
        {"name": "欧菲光", "aliases": ["欧菲"]},
    ],
    "products": [
        {"code": "X200", "name": "X200 外壳", "aliases": ["X200外壳"]},
        {"code": "FX-90", "name": "FX-90 风扇", "aliases": ["FX90", "FX-90风扇"]},
        {"code": "P40", "name": "P40 支架", "aliases": ["P40支架"]},
        {"code": "KS-10", "name": "KS-10 控制板", "aliases": ["KS10", "KS-10控制板"]},
        {"code": "TX-500", "name": "TX-500 变压器", "aliases": ["TX500", "TX-500变压器"]},
        {"code": "LED-30", "name": "LED-30 灯板", "aliases": ["LED30", "LED-30灯板"]},
        {"code": "PB-12", "name": "PB-12 电源板", "aliases": ["PB12", "PB-12电源板"]},
        {"code": "C-220", "name": "C-220 连接器", "aliases": ["C220", "C-220连接器"]},
        {"code": "HS-7", "name": "HS-7 散热片", "aliases": ["HS7", "HS-7散热片"]},
        {"code": "M3-8", "name": "M3-8 螺丝", "aliases": ["M3螺丝", "M3x8螺丝"]},
    ],
}


def demo_config() -> KesuConfig:
    """The built-in demo org (the same as kesu.example.toml), with the default clocks."""
    return _build(_DEMO, source=DEMO_SOURCE)
