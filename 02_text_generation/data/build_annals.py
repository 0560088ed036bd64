"""Build `annals_of_vellmar.md`, the long document of lab 02/04, from the facts below.

Vellmar is a fictional harbour town; every person, ship and number in it is invented for the
workshop. The narrative events are written by hand; the yearly harbour-register entries that
fill most of the pages are generated from a seeded random generator and per-era trends, so the
file is reproducible byte for byte:

    python 02_text_generation/data/build_annals.py          # rewrite the file
    python 02_text_generation/data/build_annals.py --check  # exit 1 if the file is stale

The result is ~20,000 tokens: longer than an 8k-token context window, the size of document
that map-reduce and refine summarisation exist for.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent / "annals_of_vellmar.md"
SEED = 1801  # the year of the harbour charter


@dataclass(frozen=True)
class Era:
    title: str
    start: int
    end: int
    intro: str
    events: dict[int, str]
    vessels: tuple[int, int]  # vessels entering per year at the start and end of the era
    cargo: tuple[int, int]  # cargo handled, tons per year
    fish: tuple[int, int]  # fish landed, barrels (to 1879) or tonnes (from 1880)
    masters: tuple[str, ...]  # harbour masters in office, in order


ERAS: tuple[Era, ...] = (
    Era("The Salt Years", 1780, 1809,
        "Vellmar began as a handful of fishing families at the mouth of the river Vell, on a "
        "coast of grey shingle and cold water. For its first thirty years the town lived on "
        "herring, salt and whatever the sea allowed.",
        {1780: "Eleven families from the Orrin valley settled on the east bank of the Vell, "
               "drawn by the herring shoals that came inshore each August. They built turf "
               "houses above the tide line and shared four open boats.",
         1784: "The mason Ilse Marrow built the first stone quay, sixty metres long, from "
               "granite carted down the valley. It let boats unload at any state of the tide "
               "and is still visible under the later Fish Quay.",
         1789: "Salt pans were dug at Grey Sands, south of the river. Local salt freed the "
               "curers from the expensive salt brought by coaster, and cured herring became the "
               "town's first export.",
         1795: "On St. Brannoc's night a north-easterly storm destroyed half the fleet. "
               "Thirty-one fishermen drowned, and the town raised a wooden cross on Kell Point "
               "in their memory.",
         1801: "The provincial council granted Vellmar its harbour charter. The charter created "
               "the office of harbour master, allowed the town to levy harbour dues, and named "
               "Tobias Renn as the first harbour master.",
         1806: "The lighthouse on Kell Point was lit for the first time. Its oil lamp and "
               "mirrors were visible for eleven nautical miles, and wrecks on the Kell reef "
               "fell from several a year to one in a decade."},
        (40, 160), (900, 6_500), (800, 4_200), ("no harbour master", "Tobias Renn")),
    Era("Herring and the Harbour Board", 1810, 1839,
        "The herring boom of the 1810s turned a fishing village into a port. Money came in, and "
        "with it the first attempts to run the harbour as a public undertaking.",
        {1812: "The great herring shoals returned after a decade of poor seasons. Curers from "
               "the south rented yards on the quay, and the number of boats doubled in three "
               "years.",
         1818: "The Harbour Board was founded with seven members: three elected by boat owners, "
               "two by merchants and two appointed by the council. It took over the dues and "
               "the upkeep of the quay from the harbour master.",
         1823: "The coopers formed a guild and set the standard Vellmar barrel, stamped with a "
               "gull. Buyers inland began to ask for gull-stamped herring by name.",
         1827: "Work began on the north breakwater, designed by the engineer Amos Keddle. It was "
               "four hundred and twenty metres long, cost thirty-eight thousand crowns, and "
               "took six years to finish.",
         1831: "Cholera reached the town with a coaster from the south. Two hundred and twelve "
               "people died, and the Board opened a quarantine station on the island of Sheep "
               "Holm for ships arriving from infected ports.",
         1833: "The north breakwater was completed. For the first time boats could shelter in "
               "the harbour during a northerly gale.",
         1836: "The first newspaper, The Vellmar Tide, was printed weekly. It published the "
               "harbour register every Saturday, which is why so many of the figures in these "
               "annals survive."},
        (170, 420), (7_000, 21_000), (4_500, 16_000), ("Tobias Renn", "Hanne Stoltz")),
    Era("Steam and the Railway", 1840, 1879,
        "Steam changed everything that happened on the water, and the railway changed "
        "everything that happened after the fish was landed.",
        {1846: "The Board bought the first steam tug, the Resolute. Sailing ships no longer had "
               "to wait for a fair wind to enter, and the harbour could be used in almost any "
               "weather.",
         1852: "The railway from the inland city of Castran reached Vellmar. Fresh fish could "
               "now be sold in Castran the morning after it was landed, and fresh herring began "
               "to replace cured herring.",
         1858: "An ice house was built beside the station, filled each winter from the frozen "
               "mill ponds up the valley.",
         1861: "Fire destroyed eighty houses in Cooper's Row. The Board paid for a steam fire "
               "engine the next year, and the town banned thatched roofs.",
         1867: "The Harbour Board borrowed two hundred thousand crowns to build a deep-water "
               "dock behind the breakwater. Many members opposed the loan as a risk the town "
               "could not carry.",
         1871: "A lifeboat station was founded on the north quay, with Maren Ostby as its first "
               "coxswain.",
         1874: "The deep-water Albrecht Dock opened, named after the Board's chairman Lorens "
               "Albrecht. Ships of up to two thousand tons could now lie afloat at any tide.",
         1877: "The lifeboat rescued nineteen crew from the barque Saint Ilona, wrecked on the "
               "Kell reef in a January storm. Maren Ostby was awarded the provincial gold medal "
               "for the rescue."},
        (430, 1_100), (22_000, 95_000), (17_000, 41_000),
        ("Hanne Stoltz", "Jakob Feld", "Oskar Brandt")),
    Era("The Great Dock Years", 1880, 1913,
        "With the Albrecht Dock full and the railway busy, Vellmar spent thirty years as one of "
        "the busiest ports on the coast. It was also the period of its hardest labour disputes.",
        {1884: "The census counted fourteen thousand people in Vellmar, three times the figure "
               "of 1850.",
         1889: "The dock strike began in May and lasted nine weeks. It ended with the Tidewater "
               "Agreement, which fixed an hourly rate for dock work and a ten-hour working day.",
         1896: "Electric light was installed on the quays, powered by a coal-fired generating "
               "station on Mill Street. Night working became routine.",
         1901: "The Vellmar Fisheries School opened, teaching navigation, engine work and net "
               "making to the sons and daughters of fishing families.",
         1907: "For the first time steam trawlers landed more fish than the old sailing "
               "drifters, and the last drifter yards began to close.",
         1912: "Edda Lund became harbour master, the first woman to hold the office on the "
               "coast. She held it for twenty-one years."},
        (1_150, 2_300), (100_000, 310_000), (12_000, 38_000),
        ("Oskar Brandt", "Nils Aamot", "Edda Lund")),
    Era("War and Slump", 1914, 1945,
        "Two wars and the long slump between them took most of what the dock years had built.",
        {1914: "When the Northern War began, the navy took over the Albrecht Dock as a patrol "
               "base. Fishing was restricted to daylight inside the bay.",
         1917: "A mine laid off Kell Point sank the ferry Halvard with the loss of forty-four "
               "lives, the worst disaster in the town's history.",
         1921: "Herring prices collapsed after the war, and a third of the trawler fleet was "
               "laid up within a year.",
         1926: "The Harbour Board could not pay the interest on its loans. The town council "
               "rescued it with the Vellmar Municipal Loan, and in return took control of the "
               "Board's budget.",
         1933: "A fish-meal factory opened at Grey Sands, buying the fish the fresh market did "
               "not want. The smell was famous, but so were the two hundred jobs.",
         1940: "During the Coastal War the harbour was blockaded for four years. The fleet "
               "fished only in the bay, and the population fell as families moved inland.",
         1943: "Bombs destroyed the east side of the Albrecht Dock and the Mill Street power "
               "station."},
        (2_100, 600), (280_000, 60_000), (36_000, 9_000),
        ("Edda Lund", "Arne Voss", "Sigrun Dahl")),
    Era("Rebuilding", 1946, 1969,
        "After the Coastal War the town rebuilt the dock, then found that the fishing it was "
        "rebuilt for was changing.",
        {1948: "The rebuilt Albrecht Dock reopened with concrete quays and two electric cranes, "
               "paid for by a national reconstruction grant.",
         1952: "A freezer plant opened beside the dock. Frozen fillets could travel anywhere, "
               "and the town stopped depending on the Castran market.",
         1957: "A car ferry service began to the Skerry Isles, two hours to the north-west. It "
               "carried forty thousand passengers in its first year.",
         1962: "The Fisheries School became the Vellmar Maritime College and admitted its first "
               "students from abroad.",
         1966: "Harbour radar was installed on Kell Point, and pilots could bring ships in "
               "through fog for the first time."},
        (700, 1_900), (70_000, 420_000), (10_000, 52_000),
        ("Sigrun Dahl", "Halvor Pike", "Ruth Engel")),
    Era("Oil and Containers", 1970, 1989,
        "Oil was found offshore just as the fishing industry met its limits, and the harbour "
        "turned from fish to supply ships and boxes.",
        {1973: "Oil was discovered in the Brannoc field, ninety kilometres offshore. Within two "
               "years Vellmar had become a supply base for the drilling rigs.",
         1976: "The population reached forty-one thousand, its highest ever.",
         1979: "A container terminal opened on reclaimed land at Grey Sands, with two gantry "
               "cranes and room for forty thousand containers a year.",
         1982: "National fishing quotas were introduced to protect the herring stock. The "
               "fleet was halved within five years, and the fish-meal factory closed.",
         1988: "The Kell Point lighthouse was automated. The last keeper, Piet Sandvik, retired "
               "after thirty-four years and wrote a memoir of the light."},
        (2_000, 3_400), (450_000, 1_600_000), (50_000, 21_000),
        ("Ruth Engel", "Tomas Berg")),
    Era("Decline and Reinvention", 1990, 2009,
        "When the Brannoc field began to run down, the town had to find a new reason for its "
        "harbour.",
        {1992: "The main oil company moved its supply base to a larger port, and eight hundred "
               "jobs went with it.",
         1995: "The council and the Harbour Board adopted the Harbour Regeneration Plan, which "
               "set out to turn the old quays over to housing, research and tourism.",
         1999: "The Vellmar Marine Research Institute opened in the old ice house, studying the "
               "recovery of the herring stock.",
         2001: "The town celebrated the bicentenary of the harbour charter with a festival of "
               "historic ships.",
         2004: "The old cooperage became the Vellmar Harbour Museum. Its collection includes "
               "Ilse Marrow's mason's marks and a gull-stamped barrel of 1823.",
         2007: "The container terminal won the contract to ship foundations for the first "
               "offshore wind farm on the coast."},
        (3_200, 2_600), (1_500_000, 1_900_000), (20_000, 14_000),
        ("Tomas Berg", "Lise Marrow-Holt")),
    Era("The Green Harbour", 2010, 2019,
        "In its last decade the harbour found its third life, in the energy that replaced the "
        "oil.",
        {2011: "Shore power was installed at the ferry berth, so ferries could switch off their "
               "engines in port.",
         2014: "Vellmar became the maintenance hub for three offshore wind farms, with six "
               "hundred permanent jobs.",
         2016: "Storm Hestia flooded the old town to a depth of one metre, and the council "
               "decided to build a flood wall along the quays.",
         2019: "The flood wall was completed, and the harbour handled more cargo than in any "
               "previous year."},
        (2_700, 3_100), (1_900_000, 2_600_000), (14_000, 17_000),
        ("Lise Marrow-Holt", "Ada Sørlie")),
)

_REGISTER = (
    "The harbour register for {year} records {vessels:,} vessels entering and {cargo:,} tons "
    "of cargo handled.",
    "In {year}, {vessels:,} vessels entered the harbour, and the quays handled {cargo:,} tons.",
    "{year} saw {vessels:,} arrivals in the register and {cargo:,} tons across the quays.",
    "For {year} the clerk counted {vessels:,} vessels in and {cargo:,} tons of goods.",
)
_FISH = (
    "The fleet landed {fish:,} {unit} of fish.",
    "Landings came to {fish:,} {unit}.",
    "Fish landed at the quay amounted to {fish:,} {unit}.",
)
_WEATHER = (
    "The harbour master noted {gales} days of gale.",
    "There were {gales} days when the harbour was closed by gales.",
    "Gales kept the boats in on {gales} days.",
)
_EXTRA = (  # groups: at most one sentence from each group per entry
    ("Harbour dues raised {dues:,} crowns.", "The dues collected came to {dues:,} crowns."),
    ("{wrecks} vessels were lost on the coast nearby.",),
    ("The lifeboat was launched {launches} times.",),
    ("Repairs to the quay walls cost {repairs:,} crowns.",),
    ("The pilots brought in {pilots:,} ships.",),
)


def _interp(lo_hi: tuple[int, int], frac: float, rng: random.Random) -> int:
    lo, hi = lo_hi
    value = lo + (hi - lo) * frac
    return int(round(value * rng.uniform(0.9, 1.1), -1 if value < 10_000 else -2))


def register_entry(era: Era, year: int, rng: random.Random) -> str:
    """One year's entry from the harbour register, generated from the era's trends."""
    frac = (year - era.start) / max(era.end - era.start, 1)
    vessels, cargo = _interp(era.vessels, frac, rng), _interp(era.cargo, frac, rng)
    fish = _interp(era.fish, frac, rng)
    unit = "barrels" if year < 1880 else "tonnes"
    values = {"year": year, "vessels": vessels, "cargo": cargo, "fish": fish, "unit": unit,
              "gales": rng.randint(4, 31), "dues": int(cargo * rng.uniform(0.3, 0.5)),
              "wrecks": rng.randint(1, 6), "launches": rng.randint(2, 19),
              "repairs": rng.randint(20, 400) * 10, "pilots": int(vessels * rng.uniform(.2, .5))}
    parts = [rng.choice(_REGISTER), rng.choice(_FISH), rng.choice(_WEATHER)]
    parts += [rng.choice(group) for group in rng.sample(_EXTRA, 2)]
    if year < 1871:
        parts = [p for p in parts if "lifeboat" not in p]
    return " ".join(p.format(**values) for p in parts)


def build() -> str:
    """The whole document as Markdown."""
    rng = random.Random(SEED)
    out = ["# The Annals of Vellmar Harbour, 1780-2019", "",
           "*A fictional history written for the Amazon Bedrock workshop. Every person, place, "
           "ship and number in it is invented.*", ""]
    for number, era in enumerate(ERAS, 1):
        out += [f"## Chapter {number}. {era.title} ({era.start}-{era.end})", "", era.intro, ""]
        masters = ", ".join(m for m in era.masters if m != "no harbour master")
        out += [f"Harbour masters in this period: {masters}.", ""]
        for year in range(era.start, era.end + 1):
            paragraph = register_entry(era, year, rng)
            if year in era.events:
                paragraph = f"**{year}.** {era.events[year]} {paragraph}"
            out += [paragraph, ""]
    out += ["## Afterword", "",
            "The register ends in 2019, when the Harbour Board moved its records to a database. "
            "The original ledgers are kept at the Vellmar Harbour Museum.", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.name} is stale: run python {Path(__file__).name}")
            return 1
        print(f"{OUT.name} is up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
