"""Form helpers shared by the apps that take input about claims (reader, curation)."""

from __future__ import annotations

from django import forms


class ExplainedForm(forms.Form):
    """A form whose errors can be said in one sentence, for an alert next to the control."""

    def error_text(self) -> str:
        """All errors as one sentence: each prefixed with its field's label, if it has one."""
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            parts.extend(f"{label}: {e}" if label else str(e) for e in errors)
        return " ".join(parts)
