# -*- coding: utf-8 -*-
# Copyright: xenguard maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FLASK type of each guest configuration, decided before the flask role changes anything.

Pure functions over what xen_facts read (``guest_configs``: {path: {'keys': {...}}}) and the role's settings;
the filter ``xen_flask_guest_plan`` calls ``plan_guests``.

Xen's default policy (tools/flask/policy/modules/domU.te, 4.17 and 4.20 alike) has one device-model rule,
make_device_model(dom0_t, dm_dom_t, domU_t): a stub domain of type dm_dom_t serves domU_t guests only, and
under enforcing ``xl create`` of an isolated_domU_t guest with a dm_dom_t stub domain is denied. So an HVM
guest whose QEMU runs in a stub domain takes a type its stub domain may serve unless the user named its kind.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.xenguard.hardening.plugins.module_utils.xlcfg import is_hvm, is_vtpm_stub, unmet_settings, xl_true


def label_type(label):
    """The type of a FLASK label user:role:type[:level] (the empty text when the label has no type part)."""
    parts = str(label).split(':')
    return parts[2] if len(parts) > 2 else ''


def plan_guests(configs, options):
    """[{path, name, type, why, settings, stub, named, refused, pending}] for every readable guest configuration.

    OPTIONS: ``guest_types`` (guest name -> kind, as the user gave them), ``default_kind``, ``kind_types``
    (kind -> type), ``prefix`` (``user:role:`` of a guest label), ``dm_label`` (the stub domains' label),
    ``dm_serves`` (device-model type -> the guest types it may serve) and ``stub_planned`` (the paths the
    stubdom role moves into a stub domain in this play).

    - A guest named in ``guest_types`` gets its kind's type; else a driver domain (``driver_domain=1``) is
      kind ``driver``, every other guest ``default_kind``. A kind without a type in ``kind_types`` is taken as
      a type itself.
    - vTPM stub domains (a kernel whose file name holds ``vtpm``) are left out unless named: the default policy
      has no vTPM type.
    - An HVM guest (``type`` or else ``builder`` is ``hvm``) has its QEMU in a stub domain when its
      configuration says so (``device_model_stubdomain_override``) or the stubdom role moves it; then, unless
      named, it takes the first type its stub domain may serve, and ``why`` says so. Every HVM guest (and one
      with a stub domain) gets ``device_model_stubdomain_seclabel`` too. A named guest with a stub domain
      whose type the stub domain may not serve is ``refused``: the sentence that says why (it would not start
      under enforcing); the empty text otherwise.
    - ``pending``: the configuration lacks a setting or holds another value.
    """
    guest_types = options.get('guest_types') or {}
    kind_types = options.get('kind_types') or {}
    dm_label = options.get('dm_label') or ''
    dm_type = label_type(dm_label)
    served = (options.get('dm_serves') or {}).get(dm_type)
    stub_planned = options.get('stub_planned') or []
    planned = []
    for path, config in (configs or {}).items():
        keys = config.get('keys') if isinstance(config, dict) else None
        if not isinstance(keys, dict) or 'name' not in keys:
            continue
        name = keys['name']
        named = isinstance(name, str) and name in guest_types  # xl takes a name only as text
        if is_vtpm_stub(keys) and not named:
            continue
        if named:
            kind = guest_types[name]
        else:
            kind = 'driver' if xl_true(keys.get('driver_domain')) else options.get('default_kind')
        type_ = kind_types.get(kind, kind)
        hvm = is_hvm(keys)
        stub = hvm and (xl_true(keys.get('device_model_stubdomain_override')) or path in stub_planned)
        why = ''
        if stub and served is not None and type_ not in served and not named:
            why = "its QEMU runs in a stub domain (%s), which Xen's policy lets serve %s only" \
                % (dm_type, ', '.join(served))
            type_ = served[0]
        refused = ''
        if stub and named and served is not None and type_ not in served:
            refused = ("%s runs QEMU in a stub domain of type %s, which Xen's default policy lets serve %s guests "
                       "only (domU.te: make_device_model), but xenguard_flask_guest_types gives it %s"
                       % (name, dm_type, ', '.join(served), type_))
        settings = {'seclabel': (options.get('prefix') or '') + str(type_)}
        if hvm:
            settings['device_model_stubdomain_seclabel'] = dm_label
        planned.append({'path': path, 'name': name, 'type': type_, 'why': why, 'settings': settings,
                        'stub': stub, 'named': named,
                        'refused': refused,
                        'pending': bool(unmet_settings(keys, settings))})
    return planned
