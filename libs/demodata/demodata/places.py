"""Places of the demo world: real provinces, cities and districts with their GB/T 2260 codes, their
education bureaus, and the name parts people are invented from.

Only the places are real; every authority address, phone number and person in the demo data is
invented.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoCity:
    code: str
    name: str  # GB/T 2260 name; "市辖区" for the districts of a municipality
    display_name: str  # the name people use, e.g. "北京市" for 110100
    area_code: str  # telephone area code
    local_digits: int  # length of local telephone numbers
    bureau_name: str  # the city's education bureau, issuer of senior certificates
    counties: tuple[tuple[str, str], ...]  # (code, name)


@dataclass(frozen=True)
class DemoProvince:
    code: str
    name: str
    cities: tuple[DemoCity, ...]
    bureau_suffix: str  # "教育委员会" in Beijing, "教育局" elsewhere


PROVINCES: tuple[DemoProvince, ...] = (
    DemoProvince("110000", "北京市", (
        DemoCity("110100", "市辖区", "北京市", "010", 8, "北京市教育委员会", (
            ("110101", "东城区"), ("110102", "西城区"), ("110105", "朝阳区"), ("110106", "丰台区"),
            ("110107", "石景山区"), ("110108", "海淀区"), ("110112", "通州区"), ("110114", "昌平区"),
            ("110115", "大兴区"),
        )),
    ), "教育委员会"),
    DemoProvince("310000", "上海市", (
        DemoCity("310100", "市辖区", "上海市", "021", 8, "上海市教育委员会", (
            ("310101", "黄浦区"), ("310104", "徐汇区"), ("310105", "长宁区"), ("310106", "静安区"),
            ("310107", "普陀区"), ("310109", "虹口区"), ("310110", "杨浦区"), ("310112", "闵行区"),
            ("310113", "宝山区"), ("310115", "浦东新区"),
        )),
    ), "教育局"),
    DemoProvince("440000", "广东省", (
        DemoCity("440100", "广州市", "广州市", "020", 8, "广州市教育局", (
            ("440103", "荔湾区"), ("440104", "越秀区"), ("440105", "海珠区"), ("440106", "天河区"),
            ("440111", "白云区"), ("440112", "黄埔区"), ("440113", "番禺区"), ("440114", "花都区"),
        )),
        DemoCity("440300", "深圳市", "深圳市", "0755", 8, "深圳市教育局", (
            ("440303", "罗湖区"), ("440304", "福田区"), ("440305", "南山区"), ("440306", "宝安区"),
            ("440307", "龙岗区"), ("440309", "龙华区"),
        )),
        DemoCity("440600", "佛山市", "佛山市", "0757", 8, "佛山市教育局", (
            ("440604", "禅城区"), ("440605", "南海区"), ("440606", "顺德区"),
        )),
        # Dongguan has no county level: the city bureau is itself the registration authority.
        DemoCity("441900", "东莞市", "东莞市", "0769", 8, "东莞市教育局", ()),
    ), "教育局"),
    DemoProvince("510000", "四川省", (
        DemoCity("510100", "成都市", "成都市", "028", 8, "成都市教育局", (
            ("510104", "锦江区"), ("510105", "青羊区"), ("510106", "金牛区"), ("510107", "武侯区"),
            ("510108", "成华区"), ("510112", "龙泉驿区"), ("510114", "新都区"), ("510116", "双流区"),
            ("510181", "都江堰市"),
        )),
        DemoCity("510700", "绵阳市", "绵阳市", "0816", 7, "绵阳市教育和体育局", (
            ("510703", "涪城区"), ("510704", "游仙区"), ("510722", "三台县"), ("510781", "江油市"),
        )),
    ), "教育局"),
    DemoProvince("410000", "河南省", (
        DemoCity("410100", "郑州市", "郑州市", "0371", 8, "郑州市教育局", (
            ("410102", "中原区"), ("410103", "二七区"), ("410104", "管城回族区"), ("410105", "金水区"),
            ("410108", "惠济区"), ("410122", "中牟县"), ("410181", "巩义市"), ("410184", "新郑市"),
            ("410185", "登封市"),
        )),
        DemoCity("410300", "洛阳市", "洛阳市", "0379", 8, "洛阳市教育局", (
            ("410302", "老城区"), ("410303", "西工区"), ("410305", "涧西区"), ("410307", "偃师区"),
            ("410311", "洛龙区"), ("410324", "栾川县"),
        )),
    ), "教育局"),
)

STREETS: tuple[str, ...] = (
    "人民路", "建设路", "解放路", "文化路", "中山路", "学府路", "育才路", "新华路", "和平路",
    "光明路", "朝阳路", "长安街", "青年路", "胜利路", "府前街", "园林路", "书院街", "桃李路",
)

SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "欧阳", "司马",
)

GIVEN_NAME_CHARACTERS: tuple[str, ...] = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "文", "玉", "兰", "红", "建", "国", "晓", "雪",
    "梅", "琳", "婷", "宇", "浩", "欣", "佳", "颖", "思", "雨", "晨", "博", "志", "海", "鹏", "燕",
    "慧", "倩", "丹", "飞", "波", "辉", "俊", "蕾", "瑶", "怡", "嘉", "悦",
)


def authority_name(province: DemoProvince, city: DemoCity, county_name: str | None) -> str:
    """The education bureau's name as people write it, e.g. 北京市海淀区教育委员会, 江油市教育局."""
    if county_name is None:
        return city.bureau_name
    if county_name.endswith(("市", "县")) and province.bureau_suffix == "教育局":
        return f"{county_name}教育局"  # county-level cities and counties drop the prefecture
    return f"{city.display_name}{county_name}{province.bureau_suffix}"


# (province, city, county code, county name); the county is None for a city without counties.
Place = tuple[DemoProvince, DemoCity, str | None, str | None]


def every_place() -> list[Place]:
    """Every place in PROVINCES order; a city without counties is a place of its own."""
    out: list[Place] = []
    for province in PROVINCES:
        for city in province.cities:
            if not city.counties:
                out.append((province, city, None, None))
            out.extend((province, city, code, name) for code, name in city.counties)
    return out


def place_of(county_code: str) -> Place:
    """The county of that code (a KeyError names a code no demo county has)."""
    return _COUNTIES[county_code]


_COUNTIES: dict[str, Place] = {place[2]: place for place in every_place() if place[2] is not None}
