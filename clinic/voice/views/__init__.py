"""The staff's calls pages (the voicemail inbox, its audio, the settings) and the
provider's signed voice webhooks (`webhooks`)."""
