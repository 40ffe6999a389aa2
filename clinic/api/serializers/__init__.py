"""Input and output serializers, kept apart: an input serializer parses and checks a
request and never writes; an output serializer renders a row. Writes go through the
services (clinic.appointments.services)."""
