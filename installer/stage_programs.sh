# Sourced by make_payload.sh, windows/make_setup.sh and windows/make_msi.sh:
# copies the programs a package carries into one folder, each without its
# symbol tables (never loaded: the programs' memory does not change, the
# package shrinks by two thirds); a .json goes in as it is (the health
# report's schema).
# stage_programs DIR STRIP PROGRAM...
stage_programs() {
  local dir=$1 strip=$2 program
  shift 2
  mkdir -p "$dir"
  for program in "$@"; do
    cp "$program" "$dir/"
    case "$program" in
      *.json) ;;
      *) "$strip" --strip-unneeded "$dir/$(basename "$program")" ;;
    esac
  done
}
