"""Trends across sessions (per client and per therapist) and their CSV export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from attunement.store.views import TrendRow
from attunement.web import summary
from attunement.web.deps import StoreDep, Supervisor, client_ip, render

router = APIRouter()


def _csv(rows: list[TrendRow], filename: str) -> Response:
    return Response(
        summary.trend_csv([r.as_dict() for r in rows]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/trends")
def trends(request: Request, store: StoreDep, viewer: Supervisor):
    rows = store.trend_rows(viewer)
    store.audit("view", viewer=viewer, target="trends", ip=client_ip(request))
    by_therapist: dict[str, list[dict]] = {}
    for r in rows:
        by_therapist.setdefault(r.therapist, []).append(r.as_dict())
    return render(
        request,
        "trends.html",
        title="Trends",
        groups=[
            {"therapist": name, "n": len(rs), "figures": summary.trend_figures(rs)}
            for name, rs in sorted(by_therapist.items())
        ],
    )


@router.get("/trends.csv")
def trends_csv(request: Request, store: StoreDep, viewer: Supervisor):
    rows = store.trend_rows(viewer)
    store.audit(
        "export", viewer=viewer, target="trends", detail="trends.csv", ip=client_ip(request)
    )
    return _csv(rows, "attunement-trends.csv")


@router.get("/clients/{client_id}/trends.csv")
def client_trends_csv(request: Request, store: StoreDep, viewer: Supervisor, client_id: str):
    store.client(viewer, client_id)
    rows = store.trend_rows(viewer, client_id=client_id)
    store.audit(
        "export",
        viewer=viewer,
        target=f"client:{client_id}",
        detail="trends.csv",
        ip=client_ip(request),
    )
    return _csv(rows, f"client-{client_id}-trends.csv")
