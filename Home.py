"""Sapiens Measure: the Streamlit entry point."""

import streamlit as st

st.set_page_config(page_title="Sapiens Measure", layout="wide")
st.title("Sapiens Measure")
st.caption("Measurements, not diagnoses. Not a medical device.")
