"""Write the example input workbook ``inputs/us_mexico.xlsx``.

    python inputs/make_example.py

The workbook follows the layout of ``WORKBOOK.md``: a United States–Mexico bloc planning
projects and stockpiles for ten critical-mineral commodities over 2027–2031 against a
baseline and ten disruption scenarios. Figures published by the USGS (Mineral Commodity
Summaries 2026 and Open-File Report 2024-1057) and dated export-control events set prices,
U.S. demand, import capacities by origin, Mexican production and the scenarios; everything
without a public figure (shortage costs of most commodities, project costs, Mexican demand
and imports, stockpile sizes, budgets, probabilities) is illustrative. The extra ``About``
sheet lists every figure with its source, or says that it is illustrative.

The script uses only openpyxl and the standard library and is deterministic: running it
again rewrites a byte-identical file.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from optimizer import schema

OUTPUT = Path(__file__).resolve().with_name("us_mexico.xlsx")

TITLE = "U.S.–Mexico critical minerals plan (example)"
FIRST_YEAR = 2027
HORIZON_YEARS = 5
YEARS = tuple(range(FIRST_YEAR, FIRST_YEAR + HORIZON_YEARS))
LAST_YEAR = YEARS[-1]

# Fixed timestamp for the file's metadata and zip entries, so that reruns are identical.
FIXED_TIME = datetime.datetime(2026, 1, 1, 0, 0, 0)

LB_PER_T = 2204.62
LCE_PER_T_LI = 5.323  # t lithium carbonate per t lithium content
NDPR_SHARE_OF_REO = 0.15  # illustrative: NdPr oxide as a fraction of rare-earth tonnage
SHORTAGE_MULTIPLE = 10  # illustrative: shortage cost = 10 x baseline price
HOLDING_RATE = 0.01  # illustrative: holding cost = 1% of baseline price per year

ILLUSTRATIVE = "illustrative"

# --------------------------------------------------------------------------------------
# Sources (titles and addresses as listed in the project's mineral facts table)
# --------------------------------------------------------------------------------------

MCS = "https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-{}.pdf"
SOURCES: dict[str, tuple[str, str]] = {
    "mcs_gallium": (
        "USGS Mineral Commodity Summaries 2026 - Gallium (Feb 2026)",
        MCS.format("gallium"),
    ),
    "mcs_germanium": (
        "USGS Mineral Commodity Summaries 2026 - Germanium (Feb 2026)",
        MCS.format("germanium"),
    ),
    "mcs_graphite": (
        "USGS Mineral Commodity Summaries 2026 - Graphite (Natural) (Feb 2026)",
        MCS.format("graphite"),
    ),
    "mcs_rare_earths": (
        "USGS Mineral Commodity Summaries 2026 - Rare Earths (Feb 2026)",
        MCS.format("rare-earths"),
    ),
    "mcs_lithium": (
        "USGS Mineral Commodity Summaries 2026 - Lithium (Feb 2026)",
        MCS.format("lithium"),
    ),
    "mcs_cobalt": (
        "USGS Mineral Commodity Summaries 2026 - Cobalt (Feb 2026)",
        MCS.format("cobalt"),
    ),
    "mcs_antimony": (
        "USGS Mineral Commodity Summaries 2026 - Antimony (Feb 2026)",
        MCS.format("antimony"),
    ),
    "mcs_tungsten": (
        "USGS Mineral Commodity Summaries 2026 - Tungsten (Feb 2026)",
        MCS.format("tungsten"),
    ),
    "mcs_fluorspar": (
        "USGS Mineral Commodity Summaries 2026 - Fluorspar (Feb 2026)",
        MCS.format("fluorspar"),
    ),
    "usgs_ofr_ga_ge": (
        "Quantifying potential effects of China's gallium and germanium export "
        "restrictions on the U.S. economy (USGS Open-File Report 2024-1057)",
        "https://pubs.usgs.gov/publication/ofr20241057?mimetype=dublincore",
    ),
    "ban_2024_12": (
        "China bans exports of gallium, germanium, antimony to US "
        "(Reuters via Business Recorder, 2024-12-03)",
        "https://www.brecorder.com/news/40335663/"
        "china-bans-exports-of-gallium-germanium-antimony-to-us",
    ),
    "ban_suspended_2025_11": (
        "China suspends ban on exports of gallium, germanium, antimony to US "
        "(The Business Times, 2025-11-09; title from URL)",
        "https://www.businesstimes.com.sg/international/"
        "china-suspends-ban-exports-gallium-germanium-antimony-us",
    ),
    "graphite_controls_2023": (
        "China announces export control on certain graphite materials, products "
        "(Xinhua via SCIO, 2023-10-20)",
        "http://english.scio.gov.cn/m/pressroom/2023-10/20/content_116763338.htm",
    ),
    "ree_controls_2025_04": (
        "China Imposes Export Controls on Medium and Heavy Rare Earth Materials "
        "(Holland & Knight Alert, 2025-04-04)",
        "https://hklaw.com/en/insights/publications/2025/04/"
        "china-imposes-export-controls-on-medium-and-heavy-rare-earth-materials",
    ),
    "antimony_controls_2024_08": (
        "China to limit antimony exports in latest critical mineral curbs "
        "(Reuters via Creamer Media, 2024-08-15)",
        "https://newsletter.mw.creamermedia.com/article/"
        "china-to-limit-antimony-exports-in-latest-critical-mineral-curbs-2024-08-15",
    ),
    "tungsten_controls_2025_02": (
        "1st LD-Writethru: China announces export controls on items related to tungsten, "
        "tellurium, bismuth, molybdenum, indium (Xinhua via Big News Network, 2025-02-04)",
        "https://bignewsnetwork.com/news/275019500/1st-ld-writethru-china-announces-"
        "export-controls-on-items-related-to-tungsten-tellurium-bismuth-molybdenum-indium",
    ),
    "mexico_lithium_2022": (
        "Mexico Nationalizes Lithium; Sets Up State-Owned Company (White & Case)",
        "https://whitecase.com/insight-alert/mexico-nationalizes-lithium-sets-state-owned-company",
    ),
}


@dataclass(frozen=True)
class Provenance:
    """One line of the About sheet: where a value in the workbook comes from."""

    sheet: str
    item: str
    value: object
    unit: str
    source: str  # a key of SOURCES, or ILLUSTRATIVE
    note: str


PROVENANCE: list[Provenance] = []


def cite(sheet: str, item: str, value, unit: str, source: str, note: str):
    """Record where ``value`` comes from and return it unchanged."""
    if source != ILLUSTRATIVE and source not in SOURCES:
        raise KeyError(f"unknown source {source!r}")
    PROVENANCE.append(Provenance(sheet, item, value, unit, source, note))
    return value


def tidy(x: float) -> float | int:
    """Round away floating-point noise; whole numbers become ints."""
    x = round(x, 3)
    return int(x) if x == int(x) else x


# --------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------

# fmt: off
COUNTRIES = [
    ("USA", "United States", "yes"),
    ("MEX", "Mexico", "yes"),
    ("CHN", "China", "no"),
    ("CAN", "Canada", "no"),
    ("JPN", "Japan", "no"),
    ("DEU", "Germany", "no"),
    ("BEL", "Belgium", "no"),
    ("MOZ", "Mozambique", "no"),
    ("MYS", "Malaysia", "no"),
    ("EST", "Estonia", "no"),
    ("CHL", "Chile", "no"),
    ("ARG", "Argentina", "no"),
    ("NOR", "Norway", "no"),
    ("FIN", "Finland", "no"),
    ("THA", "Thailand", "no"),
    ("IND", "India", "no"),
    ("ITA", "Italy", "no"),
    ("BOL", "Bolivia", "no"),
    ("VNM", "Vietnam", "no"),
    ("ZAF", "South Africa", "no"),
    ("AUS", "Australia", "no"),
    ("ROW", "Rest of world", "no"),
]
# fmt: on

COUNTRY_NAMES = {code: name for code, name, _ in COUNTRIES}

# --------------------------------------------------------------------------------------
# Commodities: baseline prices (USD/t) from USGS; shortage and holding costs illustrative
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commodity:
    commodity: str
    mineral: str
    stage: str
    price: float
    price_source: str
    price_note: str
    floor: float | None = None
    shortage: float | None = None  # None: SHORTAGE_MULTIPLE x price
    shortage_source: str = ILLUSTRATIVE
    shortage_note: str = ""
    stockpilable: bool = True


COMMODITIES = [
    Commodity(
        "gallium",
        "gallium",
        "refined metal",
        580 * 1000,
        "mcs_gallium",
        "2025 average unit value of U.S. imports of gallium metal, 580 USD/kg x 1,000",
        shortage=160_000_000,
        shortage_source="usgs_ofr_ga_ge",
        shortage_note="order of magnitude: modelled U.S. GDP loss of 3.1 bn USD if China's "
        "gallium exports stop, divided by U.S. consumption of 19 t (= 163 M USD/t), rounded "
        "down",
    ),
    Commodity(
        "germanium",
        "germanium",
        "refined metal",
        1991 * 1000,
        "mcs_germanium",
        "2024 European price of germanium metal, 1,991 USD/kg x 1,000; the 2025 price "
        "(4,100 USD/kg) reflects China's export ban and is used as a scenario factor",
        shortage=13_000_000,
        shortage_source="usgs_ofr_ga_ge",
        shortage_note="order of magnitude: modelled U.S. GDP loss of 0.4 bn USD if China's "
        "germanium exports stop, divided by U.S. consumption of 30 t (= 13.3 M USD/t)",
    ),
    Commodity(
        "graphite_flake",
        "graphite",
        "natural flake",
        1000,
        "mcs_graphite",
        "2025 average unit value of U.S. flake graphite imports, USD/t as published",
        floor=900,
    ),
    Commodity(
        "ndpr_oxide",
        "rare earths",
        "oxide",
        69 * 1000,
        "mcs_rare_earths",
        "2025 NdPr oxide price (99% min, FOB), 69 USD/kg x 1,000",
        floor=60_000,
    ),
    Commodity(
        "lithium_carbonate",
        "lithium",
        "battery grade",
        9000,
        "mcs_lithium",
        "2025 battery-grade lithium carbonate, annual average of fixed contracts, USD/t as "
        "published",
        floor=8000,
    ),
    Commodity(
        "cobalt",
        "cobalt",
        "refined metal",
        round(21 * LB_PER_T),
        "mcs_cobalt",
        "2025 U.S. spot cathode price, 21 USD/lb x 2,204.62",
    ),
    Commodity(
        "antimony",
        "antimony",
        "metal and oxide",
        round(10.24 * LB_PER_T),
        "mcs_antimony",
        "2024 antimony metal price, 10.24 USD/lb x 2,204.62; the 2025 price (25 USD/lb) "
        "reflects China's export controls and is used as a scenario factor",
    ),
    Commodity(
        "antimony_concentrate",
        "antimony",
        "ore and concentrate (Sb content)",
        13_500,
        ILLUSTRATIVE,
        "about 60% of the antimony metal price",
        shortage=0,
        shortage_note="no demand of its own: only a smelter's input",
        stockpilable=False,
    ),
    Commodity(
        "tungsten",
        "tungsten",
        "concentrate (W content)",
        round(252 / 7.93 * 1000),
        "mcs_tungsten",
        "2024 concentrate price 252 USD/mtu WO3 / 7.93 kg W per mtu x 1,000; the 2025 "
        "price (380 USD/mtu) reflects China's export controls and is used as a scenario "
        "factor",
    ),
    Commodity(
        "fluorspar",
        "fluorspar",
        "acid grade",
        470,
        "mcs_fluorspar",
        "2025 acid-grade fluorspar, average CIF unit value of U.S. imports, USD/t as published",
    ),
]


def commodity_rows():
    rows = []
    for c in COMMODITIES:
        cite(
            "Commodities",
            f"{c.commodity} price_usd_per_t",
            c.price,
            "USD/t",
            c.price_source,
            c.price_note,
        )
        shortage = c.shortage if c.shortage is not None else SHORTAGE_MULTIPLE * c.price
        shortage = tidy(shortage)
        if c.shortage_source != ILLUSTRATIVE:
            cite(
                "Commodities",
                f"{c.commodity} shortage_cost_usd_per_t",
                shortage,
                "USD/t",
                c.shortage_source,
                c.shortage_note,
            )
        holding = tidy(round(HOLDING_RATE * c.price, 1)) if c.stockpilable else 0
        rows.append(
            [
                c.commodity,
                c.mineral,
                c.stage,
                c.price,
                c.floor,
                shortage,
                holding,
                "yes" if c.stockpilable else "no",
            ]
        )
    return rows


# --------------------------------------------------------------------------------------
# Demand (t/yr), held flat over the horizon at the latest published U.S. figure
# --------------------------------------------------------------------------------------

RE_APPARENT_CONSUMPTION = 27_000  # t REO, 2025
RE_IMPORTS = 21_000  # t REO compounds, 2025
RE_DOMESTIC = 8_900  # t REO compounds and metals produced in the U.S., 2025
LI_IMPORTS_T_LI = 3_800  # t Li content, 2025

US_DEMAND = {
    "gallium": (
        19,
        "mcs_gallium",
        "2025 U.S. reported consumption (USGS estimate; USGS "
        "gives reported, not apparent, consumption)",
    ),
    "germanium": (
        30,
        "mcs_germanium",
        "2021 U.S. estimated consumption, the latest USGS publishes (NA for 2022-2025)",
    ),
    "graphite_flake": (
        71_000,
        "mcs_graphite",
        "2025 U.S. apparent consumption of natural graphite (USGS estimate)",
    ),
    "ndpr_oxide": (
        tidy(RE_APPARENT_CONSUMPTION * NDPR_SHARE_OF_REO),
        "mcs_rare_earths",
        "2025 U.S. apparent consumption of rare-earth compounds and metals, "
        "27,000 t REO, x 15% taken as NdPr oxide (the 15% is illustrative)",
    ),
    "lithium_carbonate": (
        9581,
        "mcs_lithium",
        "2025 U.S. net imports in lithium carbonate "
        "equivalent ((3,800 - 2,000) t Li x 5.323); a lower bound, since "
        "USGS withholds consumption and domestic production",
    ),
    "cobalt": (
        9600,
        "mcs_cobalt",
        "2025 U.S. apparent consumption (USGS estimate, includes secondary)",
    ),
    "antimony": (45_000, "mcs_antimony", "2025 U.S. apparent consumption (USGS estimate)"),
    "tungsten": (
        7000,
        "mcs_tungsten",
        "2025 U.S. net imports (11,700 - 4,700 t W), a lower bound: USGS withholds consumption",
    ),
    "fluorspar": (370_000, "mcs_fluorspar", "2025 U.S. apparent consumption (USGS estimate)"),
}

MEX_DEMAND = {  # illustrative: no public Mexican consumption figures in the facts table
    "gallium": 2,
    "graphite_flake": 5000,
    "ndpr_oxide": 300,
    "lithium_carbonate": 2000,
    "cobalt": 500,
    "antimony": 1500,
    "tungsten": 300,
    "fluorspar": 300_000,
}


def demand_rows():
    rows = []
    for commodity, (value, source, note) in US_DEMAND.items():
        cite(
            "Demand",
            f"USA {commodity} demand_t, {FIRST_YEAR}-{LAST_YEAR}",
            value,
            "t/yr",
            source,
            note + "; held flat over the horizon (no growth assumed)",
        )
        rows += [["USA", commodity, year, value] for year in YEARS]
    for commodity, value in MEX_DEMAND.items():
        rows += [["MEX", commodity, year, value] for year in YEARS]
    return rows


# --------------------------------------------------------------------------------------
# Supply: U.S. import capacity by origin = U.S. imports x USGS import share (2021-2024)
# --------------------------------------------------------------------------------------

# commodity: (total t/yr, basis, source, shares in % by origin; "ROW" = USGS "other")
US_IMPORTS = {
    "gallium": (
        25,
        "2025 U.S. imports of gallium metal (25 t)",
        "mcs_gallium",
        {"CAN": 28, "JPN": 22, "CHN": 18, "DEU": 16, "ROW": 16},
    ),
    "germanium": (
        30,
        "U.S. consumption (30 t), used instead of the 2025 imports (7 t "
        "metal + 17 t in dioxide) that China's ban cut",
        "mcs_germanium",
        {"BEL": 41, "CHN": 23, "CAN": 17, "DEU": 14, "ROW": 5},
    ),
    "graphite_flake": (
        79_000,
        "2025 U.S. imports of natural graphite (79,000 t)",
        "mcs_graphite",
        {"CHN": 46, "CAN": 13, "MOZ": 13, "MEX": 12, "ROW": 16},
    ),
    "ndpr_oxide": (
        tidy(RE_IMPORTS * NDPR_SHARE_OF_REO),
        "2025 U.S. imports of rare-earth compounds (21,000 t REO) x 15% NdPr (illustrative)",
        "mcs_rare_earths",
        {"CHN": 71, "MYS": 13, "JPN": 5, "EST": 5, "ROW": 6},
    ),
    "lithium_carbonate": (
        tidy(LI_IMPORTS_T_LI * LCE_PER_T_LI),
        "2025 U.S. imports of lithium (3,800 t Li) x 5.323 t LCE per t Li",
        "mcs_lithium",
        {"CHL": 54, "ARG": 43, "ROW": 3},
    ),
    "cobalt": (
        14_000,
        "2025 U.S. imports of cobalt (14,000 t)",
        "mcs_cobalt",
        {"NOR": 26, "FIN": 16, "CAN": 14, "JPN": 14, "ROW": 30},
    ),
    "antimony": (
        43_500,
        "2025 U.S. imports of antimony oxide (39,000 t) and unwrought metal (4,500 t)",
        "mcs_antimony",
        {"CHN": 55, "BEL": 12, "THA": 8, "IND": 6, "ROW": 19},
    ),
    "antimony_concentrate": (
        600,
        "2025 U.S. imports of antimony ore and concentrates (600 t Sb)",
        "mcs_antimony",
        {"MEX": 86, "ITA": 9, "ROW": 5},
    ),
    "tungsten": (
        11_700,
        "2025 U.S. imports of tungsten (11,700 t W)",
        "mcs_tungsten",
        {"CHN": 26, "DEU": 14, "BOL": 8, "VNM": 8, "ROW": 44},
    ),
    "fluorspar": (
        380_000,
        "2025 U.S. imports of fluorspar (380,000 t)",
        "mcs_fluorspar",
        {"MEX": 64, "VNM": 12, "CHN": 10, "ZAF": 9, "ROW": 5},
    ),
}

# Domestic output a member draws on (an arc from the member itself).
DOMESTIC = [
    (
        "USA",
        "ndpr_oxide",
        tidy(RE_DOMESTIC * NDPR_SHARE_OF_REO),
        "mcs_rare_earths",
        "2025 U.S. production of rare-earth compounds and metals (8,900 t REO) x 15% NdPr "
        "(illustrative)",
    ),
    ("USA", "cobalt", 2000, "mcs_cobalt", "2025 U.S. secondary cobalt from purchased scrap"),
    (
        "USA",
        "antimony",
        3500,
        "mcs_antimony",
        "2025 U.S. secondary antimony (antimonial lead from spent batteries)",
    ),
    (
        "MEX",
        "graphite_flake",
        740,
        "mcs_graphite",
        "2025 Mexican mine production of natural graphite (USGS estimate); less than the "
        "U.S. import arc from Mexico (9,480 t), which applies the 2021-2024 import share to "
        "2025 imports and may include material not mined in Mexico",
    ),
    (
        "MEX",
        "fluorspar",
        1_500_000,
        "mcs_fluorspar",
        "2025 Mexican mine production of "
        "fluorspar (USGS estimate); the U.S. imports from Mexico are a separate arc",
    ),
]

# fmt: off
MEX_IMPORTS = [  # illustrative
    ("gallium", "CHN", 1.5), ("gallium", "ROW", 1),
    ("graphite_flake", "CHN", 4000), ("graphite_flake", "ROW", 2000),
    ("ndpr_oxide", "CHN", 250), ("ndpr_oxide", "ROW", 100),
    ("lithium_carbonate", "CHL", 1500), ("lithium_carbonate", "ARG", 1000),
    ("cobalt", "ROW", 600),
    ("antimony", "CHN", 1000), ("antimony", "ROW", 800),
    ("tungsten", "CHN", 200), ("tungsten", "ROW", 150),
]
# fmt: on


def supply_rows():
    rows = []
    for commodity, (total, basis, source, shares) in US_IMPORTS.items():
        if sum(shares.values()) != 100:
            raise ValueError(f"import shares of {commodity} do not sum to 100%")
        for origin, share in shares.items():
            value = total * share / 100
            value = tidy(value) if value < 100 else round(value)
            cite(
                "Supply",
                f"USA {commodity} from {origin}",
                value,
                "t/yr",
                source,
                f"{basis} x {share}% U.S. import share (2021-2024) of "
                f"{'other origins' if origin == 'ROW' else COUNTRY_NAMES[origin]}",
            )
            rows.append(["USA", commodity, origin, value, None])
    for country, commodity, value, source, note in DOMESTIC:
        cite("Supply", f"{country} {commodity} from {country}", value, "t/yr", source, note)
        rows.append([country, commodity, country, value, None])
    rows += [["MEX", commodity, origin, value, None] for commodity, origin, value in MEX_IMPORTS]
    return rows


# --------------------------------------------------------------------------------------
# Projects (illustrative costs and sizes)
# --------------------------------------------------------------------------------------

PROJECT_COLUMNS = [c.name for c in schema.PROJECTS.columns]

# fmt: off
PROJECTS = [
    # project, name, country, sponsor, stage, output, input, input_t_per_t, capacity, units,
    # capex, fixed O&M, variable cost, lead, life, earliest start, gov share, eligible, note
    ("us_ga_recovery", "Gallium recovery at a U.S. alumina refinery", "USA", None,
     "processing", "gallium", None, None, 10, 1, 150, 5, 250_000, 2, 20, None, 0.5, "yes",
     None),
    ("us_ge_recovery", "Germanium recovery from zinc-refinery residues", "USA", None,
     "processing", "germanium", None, None, 8, 1, 100, 3, 900_000, 2, 20, None, 0.5, "yes",
     None),
    ("can_ge_expansion", "Germanium circuit at a Canadian zinc refinery, U.S. offtake", "CAN",
     "USA", "processing", "germanium", None, None, 6, 1, 40, 1.5, 1_000_000, 1, 15, None,
     0.4, "yes", None),
    ("mex_graphite_mine", "Mexican flake graphite mine, U.S. offtake", "MEX", "USA",
     "mining", "graphite_flake", None, None, 20_000, 1, 90, 3, 600, 2, 20, None, 0.5, "yes",
     None),
    ("us_ndpr_separation", "NdPr separation and oxide plant", "USA", None, "processing",
     "ndpr_oxide", None, None, 1000, 2, 300, 10, 40_000, 2, 25, None, 0.5, "yes", None),
    ("aus_ndpr_offtake", "Australian NdPr expansion, U.S. offtake", "AUS", "USA",
     "processing", "ndpr_oxide", None, None, 800, 1, 120, 4, 50_000, 1, 15, None, 1, "yes",
     None),
    ("us_lithium_clay", "Nevada lithium clay project", "USA", None, "mining",
     "lithium_carbonate", None, None, 10_000, 1, 1200, 30, 6500, 3, 40, None, 0.3, "yes",
     None),
    ("mex_lithium_sonora", "Sonora lithium clay project (state company)", "MEX", None,
     "mining", "lithium_carbonate", None, None, 5000, 1, 450, 12, 7000, 3, 25, 2028, 0.6,
     "yes", None),
    ("us_cobalt_idaho", "Idaho cobalt mine and refinery", "USA", None, "mining", "cobalt",
     None, None, 2000, 1, 350, 8, 25_000, 2, 15, None, 0.5, "yes", None),
    ("can_cobalt_refinery", "Ontario cobalt refinery, U.S. offtake", "CAN", "USA",
     "processing", "cobalt", None, None, 5000, 1, 250, 6, 28_000, 2, 20, None, 1, "yes",
     None),
    ("us_antimony_idaho", "Idaho antimony-gold mine", "USA", None, "mining", "antimony",
     None, None, 6000, 1, 280, 8, 15_000, 2, 15, 2028, 0.4, "yes", None),
    ("us_sb_smelter", "Montana antimony smelter expansion", "USA", None, "processing",
     "antimony", "antimony_concentrate", 1.05, 1500, 1, 60, 2, 4000, 1, 20, None, 0.5,
     "yes", None),
    ("mex_sb_mine", "Mexican antimony mine restart", "MEX", None, "mining",
     "antimony_concentrate", None, None, 1000, 1, 50, 2, 8000, 1, 15, None, 0.7, "yes",
     None),
    ("us_tungsten_nevada", "Nevada tungsten mine and APT plant", "USA", None, "mining",
     "tungsten", None, None, 2000, 1, 160, 5, 30_000, 2, 15, None, 0.5, "yes", None),
    ("us_fluorspar_utah", "Utah fluorspar mine", "USA", None, "mining", "fluorspar", None,
     None, 100_000, 1, 80, 3, 300, 1, 20, None, 0.3, "yes", None),
    ("chn_jv_gallium", "Gallium joint venture in China", "CHN", "USA", "processing",
     "gallium", None, None, 30, 1, 40, 1, 150_000, 1, 15, None, 1, "no",
     "screened out: foreign entity of concern"),
]
# fmt: on

# --------------------------------------------------------------------------------------
# Stockpiles, transfers, budgets (illustrative)
# --------------------------------------------------------------------------------------

STOCKPILE_COLUMNS = [c.name for c in schema.STOCKPILES.columns]

NDS_COBALT_T = 7480  # National Defense Stockpile solicitation, t Co over five years

# fmt: off
STOCKPILES = [
    # country, commodity, initial, capacity, min_t, min_days, max buy, max release, facility
    ("USA", "gallium", 0, 40, None, 30, None, 10, None),
    ("USA", "germanium", 0, 60, None, 30, None, None, None),
    ("USA", "graphite_flake", 0, 30_000, None, None, None, None, 10),
    ("USA", "ndpr_oxide", 0, 3000, 250, None, 1500, None, None),
    ("USA", "lithium_carbonate", 0, 10_000, None, None, None, None, 15),
    ("USA", "cobalt", 0, NDS_COBALT_T, None, None, tidy(NDS_COBALT_T / 5), None, None),
    ("USA", "antimony", 0, 15_000, None, 15, None, None, None),
    ("USA", "tungsten", 0, 5000, None, None, None, None, None),
    ("USA", "fluorspar", 0, 40_000, None, None, None, None, 5),
    ("MEX", "antimony", 0, 1500, 150, None, None, None, 3),
    ("MEX", "lithium_carbonate", 0, 2000, None, None, None, None, 6),
    ("MEX", "ndpr_oxide", 0, 300, None, None, None, None, 4),
    ("MEX", "graphite_flake", 0, 3000, None, None, None, None, 4),
]
# fmt: on

TRANSFERS = [
    ("USA", "MEX", "*", 3000, 150),
    ("MEX", "USA", "*", 20_000, 150),
]

BUDGETS = {  # MUSD per year
    "USA": (500, 500, 400, 400, 400),
    "MEX": (50, 50, 50, 50, 50),
    "ALL": (530, 530, 430, 430, 430),
}

# --------------------------------------------------------------------------------------
# Scenarios and shocks
# --------------------------------------------------------------------------------------

SCENARIOS = [
    # scenario, probability (illustrative), description
    ("baseline", 0.28, "no disruption"),
    (
        "china_ga_ge_ban",
        0.12,
        "China stops gallium and germanium exports for the whole horizon, as in its "
        "December 2024 ban on exports to the U.S.",
    ),
    (
        "china_sb_w_controls",
        0.08,
        "China stops antimony and tungsten exports; prices at their 2025 levels",
    ),
    ("china_graphite_controls", 0.08, "China cuts graphite exports by 75% from 2028"),
    (
        "china_rare_earth_controls",
        0.08,
        "China cuts NdPr oxide exports by 70%; price at its 2025 level",
    ),
    (
        "china_broad_controls",
        0.05,
        "broad Chinese export controls 2028-2030: exports at 20%, prices up 50%",
    ),
    ("us_port_disruption", 0.04, "U.S. ports at 60% for all imports in 2029"),
    (
        "mex_supply_disruption",
        0.04,
        "Mexican output and exports at 30% in 2029 (e.g. hurricane or border closure)",
    ),
    (
        "drc_cobalt_export_ban",
        0.06,
        "DR Congo export ban 2027-2028 cuts refined cobalt from Norway, Finland, Japan and "
        "others to 60%; price at its 2025 level",
    ),
    (
        "battery_demand_surge",
        0.07,
        "battery demand surge from 2029; lithium back to its 2022 peak price",
    ),
    ("price_glut", 0.10, "oversupply: every price at 60% of baseline"),
]

GA_PRICE_2024 = 439 * 1000
GE_PRICE_2025 = 4100 * 1000
SB_PRICE_2025 = tidy(25 * LB_PER_T)
W_PRICE_2025 = tidy(380 / 7.93 * 1000)
NDPR_PRICE_2024 = 55 * 1000
CO_PRICE_2024 = tidy(16.77 * LB_PER_T)
LI_PRICE_2022 = 63_700


def price_of(commodity: str) -> float:
    return next(c.price for c in COMMODITIES if c.commodity == commodity)


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2)


def shock_rows():
    ga = cite(
        "Shocks",
        "china_ga_ge_ban: gallium price factor",
        ratio(price_of("gallium"), GA_PRICE_2024),
        "x baseline",
        "mcs_gallium",
        "2025 / 2024 import unit value of gallium metal (580 / 439 USD/kg)",
    )
    ge = cite(
        "Shocks",
        "china_ga_ge_ban: germanium price factor",
        ratio(GE_PRICE_2025, price_of("germanium")),
        "x baseline",
        "mcs_germanium",
        "2025 / 2024 germanium metal price (4,100 / 1,991 USD/kg)",
    )
    cite(
        "Shocks",
        "china_ga_ge_ban: China supply of gallium and germanium",
        0,
        "factor",
        "ban_2024_12",
        f"China banned exports of gallium, germanium and antimony to the U.S. "
        f"on 2024-12-03; the ban is suspended until 2026-11-27 (see next row), so it could "
        f"return from {FIRST_YEAR}",
    )
    cite(
        "Shocks",
        "china_ga_ge_ban, china_sb_w_controls: timing",
        "from 2027",
        "",
        "ban_suspended_2025_11",
        "suspension of the U.S. ban until 2026-11-27; licensing requirements remain",
    )
    sb = cite(
        "Shocks",
        "china_sb_w_controls: antimony price factor",
        ratio(SB_PRICE_2025, price_of("antimony")),
        "x baseline",
        "mcs_antimony",
        "2025 / 2024 antimony metal price (25 / 10.24 USD/lb)",
    )
    cite(
        "Shocks",
        "china_sb_w_controls: China supply of antimony",
        0,
        "factor",
        "antimony_controls_2024_08",
        "licences for antimony ore, metal and oxide from "
        "2024-09-15, then the 2024-12-03 ban on exports to the U.S.",
    )
    w = cite(
        "Shocks",
        "china_sb_w_controls: tungsten price factor",
        ratio(W_PRICE_2025, price_of("tungsten")),
        "x baseline",
        "mcs_tungsten",
        "2025 / 2024 tungsten concentrate price (380 / 252 USD/mtu WO3)",
    )
    cite(
        "Shocks",
        "china_sb_w_controls: China supply of tungsten",
        0,
        "factor",
        "tungsten_controls_2025_02",
        "licences for APT, tungsten oxides, carbides and alloys from 2025-02-04",
    )
    cite(
        "Shocks",
        "china_graphite_controls: China supply of graphite from 2028",
        0.25,
        "factor",
        "graphite_controls_2023",
        "licences for natural flake graphite from "
        "2023-12-01 (stricter end-use checks for the U.S. from 2024-12-03); the 75% cut is "
        "illustrative",
    )
    ndpr = cite(
        "Shocks",
        "china_rare_earth_controls: NdPr oxide price factor",
        ratio(price_of("ndpr_oxide"), NDPR_PRICE_2024),
        "x baseline",
        "mcs_rare_earths",
        "2025 / 2024 NdPr oxide price (69 / 55 USD/kg)",
    )
    cite(
        "Shocks",
        "china_rare_earth_controls: China supply of NdPr oxide",
        0.3,
        "factor",
        "ree_controls_2025_04",
        "licences for medium and heavy rare earths from "
        "2025-04-04, extended in October 2025; the 70% cut is illustrative",
    )
    co = cite(
        "Shocks",
        "drc_cobalt_export_ban: cobalt price factor",
        ratio(price_of("cobalt"), CO_PRICE_2024),
        "x baseline",
        "mcs_cobalt",
        "2025 / 2024 U.S. spot cathode price (21 / 16.77 USD/lb); DR Congo's export "
        "ban from February 2025, replaced by quotas in October; the 60% supply factor "
        "is illustrative",
    )
    li = cite(
        "Shocks",
        "battery_demand_surge: lithium price factor",
        ratio(LI_PRICE_2022, price_of("lithium_carbonate")),
        "x baseline",
        "mcs_lithium",
        "2022 peak / 2025 battery-grade lithium carbonate price "
        "(63,700 / 9,000 USD/t); the demand factors are illustrative",
    )

    y2, y3 = FIRST_YEAR + 1, FIRST_YEAR + 2
    rows = [
        ("china_ga_ge_ban", "supply", "gallium", "CHN", None, None, 0),
        ("china_ga_ge_ban", "supply", "germanium", "CHN", None, None, 0),
        ("china_ga_ge_ban", "price", "gallium", "*", None, None, ga),
        ("china_ga_ge_ban", "price", "germanium", "*", None, None, ge),
        ("china_sb_w_controls", "supply", "antimony", "CHN", None, None, 0),
        ("china_sb_w_controls", "supply", "tungsten", "CHN", None, None, 0),
        ("china_sb_w_controls", "price", "antimony", "*", None, None, sb),
        ("china_sb_w_controls", "price", "tungsten", "*", None, None, w),
        ("china_graphite_controls", "supply", "graphite_flake", "CHN", y2, None, 0.25),
        ("china_graphite_controls", "price", "graphite_flake", "*", y2, None, 1.3),
        ("china_rare_earth_controls", "supply", "ndpr_oxide", "CHN", None, None, 0.3),
        ("china_rare_earth_controls", "price", "ndpr_oxide", "*", None, None, ndpr),
        ("china_broad_controls", "supply", "*", "CHN", y2, y2 + 2, 0.2),
        ("china_broad_controls", "price", "*", "*", y2, y2 + 2, 1.5),
        ("us_port_disruption", "imports", "*", "USA", y3, y3, 0.6),
        ("mex_supply_disruption", "supply", "*", "MEX", y3, y3, 0.3),
    ]
    rows += [
        ("drc_cobalt_export_ban", "supply", "cobalt", origin, FIRST_YEAR, y2, 0.6)
        for origin in ("NOR", "FIN", "JPN", "ROW")
    ]
    rows += [
        ("drc_cobalt_export_ban", "price", "cobalt", "*", FIRST_YEAR, y2, co),
        ("battery_demand_surge", "demand", "lithium_carbonate", "*", y3, None, 1.35),
        ("battery_demand_surge", "demand", "graphite_flake", "*", y3, None, 1.3),
        ("battery_demand_surge", "demand", "cobalt", "*", y3, None, 1.2),
        ("battery_demand_surge", "price", "lithium_carbonate", "*", y3, None, li),
        ("price_glut", "price", "*", "*", None, None, 0.6),
    ]
    return [list(r) for r in rows]


# --------------------------------------------------------------------------------------
# Provenance that does not belong to one generated row
# --------------------------------------------------------------------------------------


def cite_other_figures():
    cite(
        "Stockpiles",
        "USA cobalt capacity_t / max_buy_t_per_yr",
        f"{NDS_COBALT_T} / {tidy(NDS_COBALT_T / 5)}",
        "t, t/yr",
        "mcs_cobalt",
        "2025 National Defense Stockpile solicitation for 7,480 t of cobalt over five years "
        "(cancelled before year end), used as the size of the U.S. cobalt stockpile",
    )
    cite(
        "Projects",
        "mex_lithium_sonora sponsor and earliest start",
        f"MEX, {FIRST_YEAR + 1}",
        "",
        "mexico_lithium_2022",
        "lithium is reserved to the Mexican state (Mining Law "
        "amendment of 2022-04-22; state company LitioMx); costs and sizes illustrative",
    )
    cite(
        "Projects",
        "us_sb_smelter input",
        "antimony_concentrate",
        "",
        "mcs_antimony",
        "one Montana company smelts imported feed (700 t Sb in 2025); Mexico supplies 86% "
        "of U.S. ore and concentrate imports; expansion costs illustrative",
    )
    cite(
        "Projects",
        "us_fluorspar_utah",
        "fluorspar",
        "",
        "mcs_fluorspar",
        "USGS: a fluorspar mine in Utah is under construction; costs illustrative",
    )
    cite(
        "Projects",
        "mex_graphite_mine",
        "graphite_flake",
        "",
        "mcs_graphite",
        "Mexico's natural graphite reserves: 3.1 million t; costs illustrative",
    )
    cite(
        "Projects",
        "us_ge_recovery, can_ge_expansion",
        "germanium",
        "",
        "mcs_germanium",
        "germanium-bearing zinc concentrates mined in Alaska are refined in Canada; costs "
        "illustrative",
    )


ILLUSTRATIVE_ITEMS = [
    (
        "Commodities",
        "shortage_cost_usd_per_t (except gallium, germanium)",
        f"{SHORTAGE_MULTIPLE} x baseline price",
        "no public damage figure; large enough that imports are preferred at every stressed "
        "price in the scenarios",
    ),
    (
        "Commodities",
        "holding_cost_usd_per_t_yr",
        f"{HOLDING_RATE:.0%} of baseline price",
        "storage and insurance",
    ),
    (
        "Commodities",
        "floor_usd_per_t (graphite_flake, ndpr_oxide, lithium_carbonate)",
        "about 87-90% of baseline price",
        "a floor below today's price: it binds only when prices fall (price_glut)",
    ),
    (
        "Demand",
        "MEX demand_t (all commodities)",
        "see Demand sheet",
        "no Mexican consumption figures in the sources used",
    ),
    (
        "Demand",
        "NdPr share of rare-earth tonnage",
        f"{NDPR_SHARE_OF_REO:.0%}",
        "applied to U.S. consumption, imports and production of rare-earth compounds",
    ),
    (
        "Supply",
        "MEX imports by origin",
        "see Supply sheet",
        "sized to cover the illustrative Mexican demand in normal years",
    ),
    (
        "Supply",
        "import prices",
        "blank (= commodity price)",
        "all origins sell at the baseline price; the price floor applies to non-member origins",
    ),
    (
        "Projects",
        "all costs, capacities, lead times, lives and government shares",
        "see Projects sheet",
        "order-of-magnitude values for an example, not project data",
    ),
    (
        "Stockpiles",
        "capacities, floors, purchase/release limits, facility costs",
        "see Stockpiles sheet",
        "no stock held at the start (initial_t = 0)",
    ),
    (
        "Transfers",
        "USA <-> MEX, every commodity",
        "3,000 / 20,000 t/yr at 150 USD/t",
        "capacity per commodity",
    ),
    (
        "Budgets",
        "USA, MEX and ALL budgets",
        "see Budgets sheet",
        "annual government programme budgets",
    ),
    ("Scenarios", "probabilities", "see Scenarios sheet", "judgement, sum to 1"),
    (
        "Shocks",
        "supply cuts, demand factors and price factors not listed above",
        "see Shocks sheet",
        "illustrative severities; dates follow the events cited",
    ),
]

# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

BOLD = Font(bold=True)


def add_table(wb: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        longest = max([len(str(name))] + [len(str(r[i - 1])) for r in rows if r[i - 1] is not None])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 60)


def add_about(wb: Workbook) -> None:
    ws = wb.create_sheet("About")
    intro = [
        TITLE,
        "An example input workbook for stockpile: the United States and Mexico plan "
        f"critical-mineral projects and stockpiles for {FIRST_YEAR}-{LAST_YEAR} against "
        "a baseline and ten disruption scenarios (export controls, port and supply disruptions, a "
        "demand surge, a price glut). Quantities in t (metal or oxide content as noted), "
        "prices in USD/t, money in USD million. This sheet is not read by the solver.",
        "Public figures: commodity prices, U.S. demand, U.S. import capacities by origin "
        "(imports x USGS import shares 2021-2024), domestic U.S. and Mexican production, "
        "the gallium and germanium shortage costs (from USGS GDP-loss estimates), the "
        "cobalt stockpile size, and the timing and price factors of the China and DR Congo "
        "scenarios. USGS figures are from Mineral Commodity Summaries 2026 (2025 values are "
        "USGS estimates), read from a page-audited transcription of the PDFs: spot-check "
        "against the PDF before relying on one.",
        "Illustrative values (no public figure): other shortage costs, holding costs, price "
        "floors, Mexican demand and imports, the NdPr share of rare earths, all project "
        "data, stockpile sizes and floors, transfers, budgets, probabilities and most "
        "shock severities. They show how the tool works; replace them before drawing "
        "conclusions.",
        "Demand is held flat at the latest published figure; growth enters only through "
        "the battery_demand_surge scenario.",
    ]
    for text in intro:
        ws.append([text])
    ws["A1"].font = Font(bold=True, size=14)
    for row in range(2, len(intro) + 1):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
        ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 48
    ws.append([])

    header = ["sheet", "item", "value used", "unit", "source", "url", "note"]
    ws.append(header)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = BOLD
    for p in PROVENANCE:
        title, url = SOURCES[p.source] if p.source != ILLUSTRATIVE else (ILLUSTRATIVE, None)
        ws.append([p.sheet, p.item, p.value, p.unit, title, url, p.note])
    for sheet, item, value, note in ILLUSTRATIVE_ITEMS:
        ws.append([sheet, item, value, None, ILLUSTRATIVE, None, note])
    for col, width in zip("ABCDEFG", (12, 44, 18, 10, 60, 60, 90), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def build_workbook() -> Workbook:
    PROVENANCE.clear()
    wb = Workbook()
    wb.remove(wb.active)
    settings = [
        ["title", TITLE],
        ["first_year", FIRST_YEAR],
        ["horizon_years", HORIZON_YEARS],
        ["discount_rate", 0.05],
        ["coordination", "coordinated"],
        ["risk_weight", 0],
        ["cvar_alpha", 0.9],
        ["release_rule", "disruption"],
        ["mip_gap", 0.0001],
        ["time_limit_s", 600],
    ]
    add_table(wb, "Settings", ["setting", "value"], settings)
    add_table(wb, "Countries", ["country", "name", "member"], [list(c) for c in COUNTRIES])
    add_table(
        wb,
        "Commodities",
        [c.name for c in schema.COMMODITIES.columns],
        commodity_rows(),
    )
    add_table(wb, "Demand", ["country", "commodity", "year", "demand_t"], demand_rows())
    add_table(
        wb,
        "Supply",
        ["country", "commodity", "origin", "max_t_per_yr", "price_usd_per_t"],
        supply_rows(),
    )
    add_table(wb, "Projects", PROJECT_COLUMNS, [list(p) for p in PROJECTS])
    add_table(wb, "Stockpiles", STOCKPILE_COLUMNS, [list(s) for s in STOCKPILES])
    add_table(
        wb,
        "Transfers",
        ["from_country", "to_country", "commodity", "max_t_per_yr", "cost_usd_per_t"],
        [list(t) for t in TRANSFERS],
    )
    add_table(
        wb,
        "Budgets",
        ["country", "year", "budget_musd"],
        [
            [country, year, budget]
            for country, budgets in BUDGETS.items()
            for year, budget in zip(YEARS, budgets, strict=True)
        ],
    )
    probability_sum = round(sum(p for _, p, _ in SCENARIOS), 9)
    if probability_sum != 1:
        raise ValueError(f"scenario probabilities sum to {probability_sum}, not 1")
    add_table(
        wb, "Scenarios", ["scenario", "probability", "description"], [list(s) for s in SCENARIOS]
    )
    add_table(
        wb,
        "Shocks",
        ["scenario", "kind", "commodity", "where", "start_year", "end_year", "factor"],
        shock_rows(),
    )
    cite_other_figures()
    add_about(wb)
    return wb


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed metadata and zip timestamps so that reruns give identical bytes."""
    wb.properties.creator = "stockpile"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(out.getvalue())


def main() -> None:
    save_deterministic(build_workbook(), OUTPUT)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
