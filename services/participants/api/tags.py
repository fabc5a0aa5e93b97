"""The participants service's OpenAPI tags: one per resource, described in bokmål / English."""

from __future__ import annotations

TAGS: tuple[dict[str, str], ...] = (
    {
        "name": "participants",
        "description": "Deltakere: registrering, personopplysninger, bosetting, flytting, "
        "tidslinje. / Participants: registration, personal details, settlement, moves, "
        "timeline.",
    },
    {
        "name": "programme",
        "description": "Introduksjonsprogrammet: start, avbrudd, fullføring, plan, "
        "oppfølging, fravær, norskprøver. / The introduction programme: start, interruption, "
        "completion, plan, follow-up, absence, Norwegian tests.",
    },
    {
        "name": "competence profile",
        "description": "Kompetanseprofil og forslag fra kartleggingen. / Competence profile "
        "and the suggestions from the mapping.",
    },
    {
        "name": "casework",
        "description": "Veilederens saksliste, frister og kommunens fristregler. / The "
        "adviser's caseload, deadlines and the municipality's deadline rules.",
    },
    {
        "name": "imports",
        "description": "Import av saksliste og oppfølgingsstatuser (CSV). / Importing "
        "caseloads and follow-up statuses (CSV).",
    },
    {
        "name": "privacy",
        "description": "Sletting av personopplysninger og revisjonsloggen. / Erasing "
        "personal data and the audit trail.",
    },
    {
        "name": "access",
        "description": "Innsyn, husstander og historikk over personopplysninger. / Access "
        "requests, households and the history of personal details.",
    },
    {
        "name": "transfers",
        "description": "Bytte av veileder og overføring mellom kommuner. / Changing "
        "adviser and transfers between municipalities.",
    },
    {
        "name": "integration act",
        "description": "Integreringsloven: kategorier, vedtak, klager, rettigheter, "
        "integreringskontrakt. / The Integration Act: categories, decisions, complaints, "
        "rights, the integration contract.",
    },
    {
        "name": "nir",
        "description": "Nasjonalt introduksjonsregister: sluttårsaker, datasett, "
        "datakvalitet, innsending, kompetansebevis. / The national introduction register: "
        "end reasons, dataset, data quality, submission, certificate.",
    },
    {
        "name": "benefit",
        "description": "Introduksjonsstønaden: barn, bo- og samlivssituasjon, permisjon, "
        "satser, grunnlag. / The introduction benefit: children, living and couple "
        "situation, leave, rates, the basis.",
    },
    {
        "name": "employer consent",
        "description": "Samtykke til å dele med arbeidsgivere og praksisplanen. / Consent to "
        "share with employers, and the placement plan.",
    },
    {
        "name": "unaccompanied minors",
        "description": "Enslige mindreårige: faser, primærkontakt, tiltaksplan, hybel, "
        "oppfølging, utfall. / Unaccompanied minors: phases, primary contact, measures plan, "
        "bedsit, follow-up, outcomes.",
    },
)
