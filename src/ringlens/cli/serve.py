"""``ringlens serve``: the reviewers' workbench in the browser."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

from ringlens.cli.app import CliState, app, plain


@app.command()
def serve(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="RUN_OR_QUEUE",
            help="A run folder, its queue.sqlite, or a postgresql:// URL of the queue.",
        ),
    ],
    run: Annotated[
        list[Path] | None,
        typer.Option("--run", help="Another run folder to show (repeat for several)."),
    ] = None,
    database: Annotated[
        str | None, typer.Option("--database", help="The queue database (default: the run's).")
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            help="Access token every request must carry (required off loopback).",
            envvar="RINGLENS_SERVE_TOKEN",
            show_envvar=True,
        ),
    ] = None,
    reviewer: Annotated[
        str | None,
        typer.Option(help="Default reviewer name for verdicts (default: your login name)."),
    ] = None,
) -> None:
    """Open the reviewers' workbench: the queue with filters and search, ring pages with
    the graph, timeline and members, node expansion, and verdicts with an audit trail.

    Example: [bold]ringlens serve out/demo[/] then open http://127.0.0.1:8765/
    """

    st: CliState = ctx.obj

    def go() -> None:
        from ringlens.serve import bind, check_bind, open_workspace
        from ringlens.serve import serve as run_server

        check_bind(host, token)
        ws = open_workspace(source, runs=run or [], database=database, config=st.settings())
        sock = bind(host, port)
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{sock.getsockname()[1]}/"
        st.say(f"ringlens workbench on {plain(url)} (Ctrl-C stops it)")
        if token:
            st.say("open it with ?token=… once (the token is then kept in a cookie)")
        who = reviewer
        if who is None:
            try:
                who = getpass.getuser()
            except Exception:  # noqa: BLE001 - no login name in some containers
                who = os.environ.get("USER")
        run_server(ws, host=host, port=port, token=token, reviewer=who, sock=sock)

    st.guarded(go)
