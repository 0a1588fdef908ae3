"""Arguments and options that several commands share, so they read and complete the same everywhere."""

from __future__ import annotations

import click

from rcontainer.cli.completers import container_names, profile_names

NAME = click.argument("name", shell_complete=container_names)
NAMES = click.argument("names", nargs=-1, required=True, metavar="NAME...", shell_complete=container_names)
# a container, or a whole project: a project folder, or none with -p PROJECT
TARGET = click.argument("name", required=False, metavar="[NAME|FOLDER]", shell_complete=container_names)
TARGETS = click.argument("names", nargs=-1, metavar="[NAME|FOLDER]...", shell_complete=container_names)
PROJECT = click.option(
    "-p",
    "--project",
    metavar="PROJECT",
    help="The project: a bare NAME is looked up in it; without NAME, every container of it.",
)
PROFILE = click.argument("profile", shell_complete=profile_names)
PROFILES = click.argument(
    "profiles", nargs=-1, required=True, metavar="PROFILE...", shell_complete=profile_names
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
QUIET = click.option("-q", "--quiet", is_flag=True, help="No progress display.")
PRIVILEGED = click.option(
    "--allow-privileged", is_flag=True, help="Confirm a profile that asks for privileged: true."
)
