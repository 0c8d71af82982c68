"""Imported once by the batch's fork server, so every worker forks with the engines loaded.

Importing the recipe and motif modules (about sixty, with their parameter models) costs
seconds; done here, in the server, each worker starts warm instead of paying it on its first
plate.  Nothing else imports this module.
"""

from __future__ import annotations

from teeprint import motifs, recipes
from teeprint.runtime import freeze_imports

recipes.available()
motifs.available()
freeze_imports()  # the workers fork with all of it and never free it
