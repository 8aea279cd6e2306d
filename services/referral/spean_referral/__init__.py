"""Referral: the directory of service providers and the referral of every identified victim. Emits case.referred."""
