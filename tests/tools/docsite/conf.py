# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Sphinx settings of the docs site `make docs` builds from the pages antsibull-docs writes.
# Offline: no intersphinx (it would download inventories of docs.python.org and docs.ansible.com),
# so the build needs no network and a link it cannot resolve is a warning, and warnings fail the build.

project = 'xenguard.hardening'
copyright = 'xenguard maintainers'
title = 'xenguard.hardening'
html_short_title = 'xenguard.hardening'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
html_theme_options = {'collapse_navigation': False}
display_version = False

html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = 'any'
nitpicky = True

# The pages antsibull-docs writes link to a few pages of Ansible's own docs by label (through intersphinx,
# which is off here): resolve those labels to their address; any other label left unresolved still fails.
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/latest/'
ANSIBLE_LABELS = {
    'ansible_configuration_settings': ('reference_appendices/config.html', 'Ansible configuration settings'),
    'common_return_values': ('reference_appendices/common_return_values.html', 'Return values'),
    'action_plugins': ('plugins/action.html', 'Action plugins'),
}


def _ansible_docs_link(app, env, node, contnode):
    from docutils import nodes
    target = node.get('reftarget')
    if node.get('refdomain') != 'std' or target not in ANSIBLE_LABELS:
        return None
    path, title = ANSIBLE_LABELS[target]
    text = contnode.astext() if contnode is not None and contnode.astext() != target else title
    ref = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + path)
    ref += nodes.inline(text, text)
    return ref


def setup(app):
    app.connect('missing-reference', _ansible_docs_link)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
