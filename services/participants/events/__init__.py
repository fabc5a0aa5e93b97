"""Events of the participants service, one module per concept.

Published events are the public contract (CloudEvents type ``no.veiviser.<type_name>``)
and carry the pseudonymous participant id and household id, municipality, dates,
categories, birth year and gender at most. Personal details travel only in
unpublished events, sealed with the participant's own key.

- ``journey``: registration, settlement, programme, plan, absence, leaving;
- ``act``: the person under the Integration Act (category, rights, decision, complaint);
- ``contract``: mapping, career guidance, the integration contract;
- ``benefit``: the introduction benefit's facts (children, benefit-relevant absence);
- ``nir``: what IMDi's register needs beyond the journey (end reason, reservation);
- ``transfer``: advisers, caseloads and moves between municipalities;
- ``consent``: consent to share name and contact with one employer;
- ``minor``: an unaccompanied minor's four phases, measures plan, follow-up and outcomes.
"""

from services.participants.events.act import *  # noqa: F403
from services.participants.events.benefit import *  # noqa: F403
from services.participants.events.consent import *  # noqa: F403
from services.participants.events.contract import *  # noqa: F403
from services.participants.events.journey import *  # noqa: F403
from services.participants.events.minor import *  # noqa: F403
from services.participants.events.nir import *  # noqa: F403
from services.participants.events.registry import registry as registry
from services.participants.events.transfer import *  # noqa: F403
