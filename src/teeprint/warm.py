"""Imported once by the batch's fork server, so every worker forks with the engines loaded.

Importing the recipe and motif modules (about sixty, with their parameter models) costs
seconds; done here, in the server, each worker starts warm instead of paying it on its first
plate.  Nothing else imports this module.
"""

from __future__ import annotations

from teeprint import motifs, recipes

recipes.available()
motifs.available()
