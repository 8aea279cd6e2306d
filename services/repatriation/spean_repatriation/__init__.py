"""Repatriation: the Cambodia-Viet Nam SOP as signed handshakes between two instances. Emits case.repatriated."""
