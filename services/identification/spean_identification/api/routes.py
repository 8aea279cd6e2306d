"""The HTTP API of identification. Thin: parse, authorise, call the use case, answer."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import col, select

from spean_contracts.fields import CaseId, LocalId
from spean_identification import ages, caseload, corrections, determinations, letters, photos, screenings
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.adapters.tables import AccessAudit, Returnee, Screening
from spean_identification.api.bulk import HELP as BULK_HELP
from spean_identification.api.bulk import csv_rows, validate_rows
from spean_identification.api.schemas import (
    AgeAssessmentIn,
    AgeAssessmentOut,
    AgeAssessmentRead,
    AuditEntry,
    BulkResult,
    BulkRowResult,
    ConsentIn,
    ConsentOut,
    DeterminationIn,
    DeterminationOut,
    DeterminationRead,
    LetterCheck,
    LetterCheckIn,
    LetterIssued,
    LetterListed,
    PersonCorrected,
    PersonCorrection,
    PhotoOut,
    ReturneeOut,
    ScreeningIn,
    ScreeningListed,
    ScreeningOut,
    ScreeningRead,
    ShareIn,
)
from spean_identification.returns import NotReceivable
from spean_identification.settings import IdentificationSettings
from spean_kit import audit, images
from spean_kit.auth import Principal, require_roles
from spean_kit.errors import UNREADABLE_BODY, Problem
from spean_kit.idempotency import shown_once
from spean_kit.inputs import Stripped, holds_text
from spean_kit.pages import PAGED_HEADERS, Keyset, PageOf
from spean_kit.service import runtime_of

router = APIRouter(tags=["identification"])
Screener = Annotated[Principal, Depends(require_roles("screener"))]
Reader = Annotated[Principal, Depends(require_roles("screener", "determiner", "case-worker"))]
# A provider reads the one screening shared with it for a referral, and nothing else here.
SharedReader = Annotated[Principal, Depends(require_roles("screener", "determiner", "case-worker", "provider"))]
Determiner = Annotated[Principal, Depends(require_roles("determiner"))]
CoSigner = Annotated[Principal, Depends(require_roles("co-signer"))]
CaseOfficer = Annotated[Principal, Depends(require_roles("determiner", "case-worker"))]
DeterminationReader = Annotated[Principal, Depends(require_roles("determiner", "case-worker", "co-signer"))]
Auditor = Annotated[Principal, Depends(require_roles("auditor"))]
# Those a victim may show their identification letter to: police and immigration, the competent authority,
# courts, and the lawyers and shelters working for the victim.
LetterChecker = Annotated[
    Principal,
    Depends(require_roles("screener", "co-signer", "determiner", "case-worker", "court-clerk", "provider")),
]
ReadPurpose = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Why the data is read, at least five characters; audited. Without it the read is "
        "refused (422 `purpose_required`), and the refusal audited too.",
    ),
]


def _settings(request: Request) -> IdentificationSettings:
    settings: IdentificationSettings = request.app.state.settings
    return settings


def _keys(request: Request) -> CaseKeys:
    keys: CaseKeys = request.app.state.case_keys
    return keys


@router.post("/screenings", status_code=201, response_model=ScreeningOut)
async def record_screening(body: ScreeningIn, request: Request, principal: Screener) -> ScreeningOut:
    """Record one screening. A returnee's screening on arrival names the return (`repatriation_id`) and
    continues its case: 409 `return-unknown` until the handover is known here, 409 `return-screened` once the
    person was screened on arrival."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        (answer,) = await screenings.record_screenings(
            session, runtime, _settings(request), _keys(request), principal, [body]
        )
        if isinstance(answer, NotReceivable):
            error = answer.error("body.repatriation_id")
            raise Problem(409, "Conflict", answer.detail, kind=answer.kind, errors=[error])
    return answer


@router.post(
    "/screenings/bulk",
    response_model=BulkResult,
    # Built from the columns the parser knows, so the published list cannot drift from what it takes.
    description=BULK_HELP,
)
async def record_screenings_in_bulk(request: Request, principal: Screener) -> BulkResult:
    content_type = request.headers.get("content-type", "")
    if not holds_text(content_type):
        # Bytes the kit let through unread for NUL characters, which a screening may not hold.
        message = "screenings come as text/csv or a JSON list"
        error = {"path": "body", "rule": "media_type", "message": message}
        raise Problem(415, "Unsupported media type", message, kind="bad-body", errors=[error])
    raw = await request.body()
    rows: list[Any]
    if content_type.startswith("text/csv"):
        rows = csv_rows(raw.decode("utf-8-sig", errors="replace"))
    else:
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):  # too deeply nested for the parser: not a list of screenings
            raise Problem(
                400, "Bad request", "the body is neither CSV nor a JSON list", kind="bad-body", errors=[UNREADABLE_BODY]
            ) from None
        if not isinstance(parsed, list):
            listed = [{"path": "body", "rule": "list_type", "message": "a JSON body must be a list of screenings"}]
            raise Problem(
                400, "Bad request", "a JSON body must be a list of screenings", kind="bad-body", errors=listed
            )
        rows = parsed
    valid, invalid = validate_rows(rows)
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        answers = await screenings.record_screenings(
            session, runtime, _settings(request), _keys(request), principal, [s for _, s in valid]
        )
        results = [
            BulkRowResult(row=index, status=409, errors=[answer.error("repatriation_id")])
            if isinstance(answer, NotReceivable)
            else BulkRowResult(row=index, status=201, screening=answer)
            for (index, _), answer in zip(valid, answers, strict=True)
        ]
        results += [BulkRowResult(row=index, status=422, errors=errors) for index, errors in invalid.items()]
        created = sum(1 for row in results if row.status == 201)
    return BulkResult(created=created, failed=len(results) - created, rows=sorted(results, key=lambda r: r.row))


QUEUED = Keyset((col(Screening.determination_due), col(Screening.screening_id)))


@router.get("/screenings", response_model=list[ScreeningListed], responses={200: {"headers": PAGED_HEADERS}})
async def list_screenings(
    request: Request,
    response: Response,
    principal: Reader,
    page: PageOf,
    awaiting: Annotated[
        caseload.Awaiting | None,
        Query(description="Only cases awaiting a determination, or awaiting its co-signature."),
    ] = None,
    agency: Annotated[
        str | None,
        Query(pattern=r"^[A-Z][A-Z0-9-]{1,39}$", description="The competent authority's choice; others see their own."),
    ] = None,
) -> list[ScreeningListed]:
    """An agency's screenings, or for the competent authority any agency's, earliest determination deadline
    first, a page at a time (follow the `Link` header): `?awaiting=determination` is MoSVY's queue, and
    `?awaiting=co-signature` the anti-trafficking police's, of every agency's cases awaiting their co-signature.
    Pseudonymous: the person's data is read one screening at a time, for a purpose."""
    query = caseload.caseload(principal, agency, awaiting)
    async with runtime_of(request).sessions() as session:
        shown = await QUEUED.read(session, query, page, request, response)
        return await caseload.listed(session, shown)


ARRIVED = Keyset((col(Returnee.repatriated_at), col(Returnee.repatriation_id)))


@router.get("/returnees", response_model=list[ReturneeOut], responses={200: {"headers": PAGED_HEADERS}})
async def list_returnees(
    request: Request,
    response: Response,
    principal: Reader,
    page: PageOf,
    awaiting: Annotated[
        Literal["screening"] | None, Query(description="Only those not yet screened on arrival.")
    ] = None,
) -> list[ReturneeOut]:
    """The persons Viet Nam handed over to Cambodia, longest waiting first, a page at a time (follow the
    `Link` header): `?awaiting=screening` is the transit centres' list of returnees still to screen on
    arrival, with the `repatriation_id` their screening names."""
    query = select(Returnee)
    if awaiting == "screening":
        query = query.where(col(Returnee.screening_id).is_(None))
    async with runtime_of(request).sessions() as session:
        shown = await ARRIVED.read(session, query, page, request, response)
        return [ReturneeOut.model_validate(row, from_attributes=True) for row in shown]


READ_REFUSED = {
    "description": "Without a purpose of at least five characters: `query.purpose`, rule `purpose_required` "
    "(the refused read is audited)."
}
ERASED = {"description": "The case's personal data was erased."}


@router.get("/screenings/{screening_id}", response_model=ScreeningRead, responses={422: READ_REFUSED, 410: ERASED})
async def read_screening(
    screening_id: LocalId,
    request: Request,
    principal: SharedReader,
    purpose: ReadPurpose = None,
) -> ScreeningRead:
    async with runtime_of(request).sessions() as session, session.begin():
        return await screenings.read_screening(session, _keys(request), principal, screening_id, purpose)


@router.put(
    "/screenings/{screening_id}/person",
    response_model=PersonCorrected,
    responses={410: {"description": "The case's personal data was erased."}},
)
async def correct_person(
    screening_id: LocalId, body: PersonCorrection, request: Request, principal: Reader
) -> PersonCorrected:
    """Correct the person's data as recorded at the screening (a name mistyped, a birth date read from a
    verified document): the agency that screened them, or the competent authority. The whole `person` is sent
    and replaces it; the place and the notes stay. The case's profile (sex, nationality, age band, child) and
    its match keys follow the correction in every service (`identification.screening-corrected`), so that the
    registry links the person by the corrected data, not the wrong one. An age assessed by the competent
    authority still decides the age. Audited, with its coded `reason`."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        return await corrections.correct(
            session, runtime, _settings(request), _keys(request), principal, screening_id, body
        )


@router.post("/screenings/{screening_id}/shares", status_code=204)
async def share_screening(screening_id: LocalId, body: ShareIn, request: Request, principal: Reader) -> None:
    """Let another agency read this screening's personal data, while the victim consents to sharing between
    agencies (409 `consent-required` without that consent, unless the competent authority overrides it). The
    person's photo is shared only with `"photo": true`."""
    async with runtime_of(request).sessions() as session, session.begin():
        await screenings.share(
            session,
            _keys(request),
            principal,
            screening_id,
            body.agency,
            body.organisation,
            body.consent_override_reason,
            with_photo=body.photo,
        )


IMAGE = {"schema": {"type": "string", "format": "binary"}}
PHOTO_BODY = {"requestBody": {"required": True, "content": dict.fromkeys(images.SIGNATURES, IMAGE)}}


@router.put(
    "/screenings/{screening_id}/photo",
    status_code=201,
    response_model=PhotoOut,
    openapi_extra=PHOTO_BODY,
    responses={
        201: {"description": "The screening's first photo, kept."},
        200: {"model": PhotoOut, "description": "The photo replaced the one taken before."},
        409: {"description": "`consent-required`: the person has not consented to images (or withdrew)."},
        410: ERASED,
        413: {"description": f"The photo is larger than {photos.MAX_BYTES} bytes."},
        415: {"description": "Not sent as `image/jpeg` or `image/png`."},
        422: {"description": "The body is not an image of the type sent, or is cut short."},
    },
)
async def keep_photo(screening_id: LocalId, request: Request, principal: Screener) -> JSONResponse:
    """The screened person's photo, as the body (`image/jpeg` or `image/png`), with their consent to images
    recorded (`POST /cases/{case_id}/consents`, purpose `images`); the agency that screened them takes it.
    Its metadata (where and when it was taken, the device, comments) is dropped before it is kept, sealed
    like the rest of the person's data. Withdrawing the consent deletes it."""
    photo = images.kept(request.headers.get("content-type"), await request.body(), max_bytes=photos.MAX_BYTES)
    if isinstance(photo, images.Refusal):
        error = {"path": "body", "rule": photo.rule, "message": photo.message}
        raise Problem(photo.status, "Invalid photo", photo.message, kind="invalid-photo", errors=[error])
    async with runtime_of(request).sessions() as session, session.begin():
        kept, first = await photos.keep(session, _keys(request), principal, screening_id, photo)
    return JSONResponse(kept.model_dump(mode="json"), status_code=201 if first else 200)


@router.get(
    "/screenings/{screening_id}/photo",
    response_class=Response,
    responses={
        200: {"description": "The image, as kept.", "content": dict.fromkeys(images.SIGNATURES, IMAGE)},
        422: READ_REFUSED,
        404: {"description": "No such screening, or no photo of it kept."},
        410: ERASED,
    },
)
async def read_photo(
    screening_id: LocalId, request: Request, principal: SharedReader, purpose: ReadPurpose = None
) -> Response:
    """The person's photo, read under the rule of the rest of their data, for a purpose; audited either way."""
    async with runtime_of(request).sessions() as session, session.begin():
        media_type, image = await photos.read(session, _keys(request), principal, screening_id, purpose)
    # Neither kept by a cache on the way nor taken by a browser for anything but the image it is.
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return Response(image, media_type=media_type, headers=headers)


@router.delete(
    "/screenings/{screening_id}/photo",
    status_code=204,
    responses={404: {"description": "No such screening, or no photo of it kept."}},
)
async def delete_photo(screening_id: LocalId, request: Request, principal: Reader) -> None:
    """Delete the person's photo: the agency that screened them, or the competent authority. Audited."""
    async with runtime_of(request).sessions() as session, session.begin():
        await photos.remove(session, principal, screening_id)


@router.post("/cases/{case_id}/determination", status_code=201, response_model=DeterminationOut)
async def determine(
    case_id: CaseId, body: DeterminationIn, request: Request, principal: Determiner
) -> DeterminationOut:
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        return await determinations.determine(
            session, runtime, _settings(request), _keys(request), principal, case_id, body
        )


@router.get(
    "/cases/{case_id}/determination",
    response_model=DeterminationRead,
    responses={422: READ_REFUSED, 404: {"description": "No such case, or it is not determined yet."}},
)
async def read_determination(
    case_id: CaseId, request: Request, principal: DeterminationReader, purpose: ReadPurpose = None
) -> DeterminationRead:
    """The case's determination with its grounds: for the competent authority, and for the anti-trafficking
    police whose co-signature it may await, so that they see what they sign. Read for a purpose, audited
    either way in the trail of the case's first screening."""
    async with runtime_of(request).sessions() as session, session.begin():
        return await determinations.read(session, _keys(request), principal, case_id, purpose)


@router.post("/cases/{case_id}/determination/co-signature", response_model=DeterminationOut)
async def co_sign(case_id: CaseId, request: Request, principal: CoSigner) -> DeterminationOut:
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        return await determinations.co_sign(session, runtime, principal, case_id)


@router.post(
    "/cases/{case_id}/age-assessments",
    status_code=201,
    response_model=AgeAssessmentOut,
    responses={410: {"description": "The person's data was erased: there is no one left to assess."}},
)
async def assess_age(
    case_id: CaseId, body: AgeAssessmentIn, request: Request, principal: Determiner
) -> AgeAssessmentOut:
    """Settle an age in doubt (papers that may be forged, an estimate, a presumption of childhood): from now on
    the case's age is the assessed one, growing with the years, whatever the screening said. It decides who
    gives the person's consents, and the age band and child status every service and the national statistics
    hold; a later assessment replaces it. The age and the grounds are kept with the person's data; the event
    carries only the age band and whether the person is a child."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        return await ages.assess(session, runtime, _keys(request), principal, case_id, body)


@router.get(
    "/cases/{case_id}/age-assessments",
    response_model=list[AgeAssessmentRead],
    responses={422: READ_REFUSED, 404: {"description": "No such case."}},
)
async def read_age_assessments(
    case_id: CaseId, request: Request, principal: CaseOfficer, purpose: ReadPurpose = None
) -> list[AgeAssessmentRead]:
    """The case's age assessments, oldest first, with the ages and the grounds, and which one is in force: for
    the competent authority. Read for a purpose, audited either way in the trail of the case's first
    screening."""
    async with runtime_of(request).sessions() as session, session.begin():
        return await ages.read(session, _keys(request), principal, case_id, purpose)


@router.post(
    "/cases/{case_id}/letters",
    status_code=201,
    response_model=LetterIssued,
    responses={409: {"description": "`not-identified`: no final determination as a trafficking victim."}},
    # The code is kept only as its digest: a retry under the same key is told so (409 `answer-not-kept`).
    dependencies=[Depends(shown_once)],
)
async def issue_letter(case_id: CaseId, request: Request, principal: Determiner) -> JSONResponse:
    """The person's identification letter: a code they carry, printed with their name, that shows a police
    officer or a court that the competent authority identified them as a trafficking victim, so that they are
    not punished for acts they were made to commit. Issued again, it replaces the letter before (lost, or
    taken from the person), which then no longer holds. The code is shown in this answer only."""
    async with runtime_of(request).sessions() as session, session.begin():
        issued = await letters.issue(session, principal, case_id)
    return JSONResponse(issued.model_dump(mode="json"), status_code=201, headers={"Cache-Control": "no-store"})


@router.get("/cases/{case_id}/letters", response_model=list[LetterListed])
async def list_letters(case_id: CaseId, request: Request, principal: CaseOfficer) -> list[LetterListed]:
    """The letters issued for the case, oldest first, and whether each still holds; never their codes."""
    async with runtime_of(request).sessions() as session:
        return await letters.issued(session, case_id)


@router.post(
    "/letters/check",
    response_model=LetterCheck,
    responses={
        404: {"description": "`letter-unknown`: no letter has this code."},
        410: {"description": "`letter-replaced`: the letter was replaced by a later one (the check is audited)."},
    },
)
async def check_letter(body: LetterCheckIn, request: Request, principal: LetterChecker) -> LetterCheck:
    """Whether the letter a person shows holds, and the determination it stands for; every check is in the
    audit trail of the person's screening, with its purpose. The code travels in the body, not the address,
    so that it stays out of access logs and traces."""
    async with runtime_of(request).sessions() as session, session.begin():
        return await letters.check(session, principal, body)


@router.post(
    "/cases/{case_id}/consents",
    status_code=201,
    response_model=ConsentOut,
    responses={
        422: {
            "description": "A consent given by a child alone (a person screened under 18 who is under 18 still) "
            "is refused as `body.given_by` `guardian_required`."
        }
    },
)
async def record_consent(case_id: CaseId, body: ConsentIn, request: Request, principal: Reader) -> ConsentOut:
    """Record consent for one purpose, or its withdrawal (`given: false`), and who gave it: the person, or for a
    child a parent or guardian (`given_by`). A person screened as a child is a child until their birth date
    (or the estimated age) says 18; reading it for that is audited. Either may withdraw a consent."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        return await determinations.record_consent(session, runtime, _keys(request), principal, case_id, body)


@router.get("/cases/{case_id}/consents", response_model=list[ConsentOut])
async def list_consents(case_id: CaseId, request: Request, principal: Reader) -> list[ConsentOut]:
    async with runtime_of(request).sessions() as session:
        return await determinations.current_consents(session, case_id)


@router.delete("/cases/{case_id}/personal-data", status_code=204)
async def erase_personal_data(
    case_id: CaseId,
    request: Request,
    principal: Determiner,
    legal_basis: Annotated[
        Stripped,
        Query(
            min_length=10,
            max_length=200,
            description="The order or request the erasure answers; audited, and kept after the erasure, so it may "
            "not name the person (422 `names_the_person`).",
        ),
    ],
) -> None:
    """Lawful erasure: the case's key is destroyed, so its personal data can never be read again here, and
    the services holding a copy (repatriation) erase theirs. The audit trail names who erased it and why."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        if not await screenings.erase(session, _keys(request), runtime.stage, principal, case_id, legal_basis):
            raise Problem(404, "Not found", "no personal data held for this case")


AUDITED = Keyset((col(AccessAudit.id),))


@router.get("/audit", response_model=list[AuditEntry], responses={200: {"headers": PAGED_HEADERS}})
async def read_audit(
    request: Request,
    response: Response,
    principal: Auditor,
    page: PageOf,
    narrowing: audit.Narrowed,
    screening_id: Annotated[str | None, Query(max_length=64)] = None,
    granted: Annotated[bool | None, Query(description="`false`: only the reads refused.")] = None,
) -> list[AuditEntry]:
    """Every read of personal data, granted or refused, oldest first, a page at a time (follow the `Link`
    header)."""
    query = audit.narrowed(select(AccessAudit), AccessAudit, narrowing)
    if screening_id:
        query = query.where(AccessAudit.screening_id == screening_id)
    if granted is not None:
        query = query.where(AccessAudit.granted == granted)
    async with runtime_of(request).sessions() as session:
        shown = await AUDITED.read(session, query, page, request, response)
    return [AuditEntry.model_validate(row, from_attributes=True) for row in shown]
