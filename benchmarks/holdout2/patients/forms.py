from django import forms

from .models import ClinicalNote, Patient, VascularAccess


class PatientDemographicsForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "phone", "address", "shift", "care_team"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}


class VascularAccessForm(forms.ModelForm):
    class Meta:
        model = VascularAccess
        fields = ["access_type", "site", "created_on", "notes"]


class ClinicalNoteForm(forms.ModelForm):
    class Meta:
        model = ClinicalNote
        fields = ["body", "is_draft"]


class CosignForm(forms.Form):
    """Second-nurse co-signature: the co-signer re-enters their own password."""

    username = forms.CharField(max_length=150)
    # ok: secret
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, request_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_user = request_user

    def clean(self):
        from django.contrib.auth import authenticate

        cleaned = super().clean()
        cosigner = authenticate(username=cleaned.get("username"), password=cleaned.get("password"))
        if cosigner is None or cosigner == self.request_user:
            raise forms.ValidationError("A different registered nurse must co-sign.")
        cleaned["cosigner"] = cosigner
        return cleaned
