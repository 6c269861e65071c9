"""The traffic-flow boxes written out in Python ({% flow_node %}, routes/templatetags/route_ui.py) are the markup
the template they replaced rendered, escaping included."""

import pytest
from django.template import engines

from routes.templatetags.route_ui import flow_node
from routes.traffic_flow import FAIL, OK, Node

# templates/routes/htmx/_traffic_flow_node.html as it was, included once per box.
TEMPLATE_NODE = """<g class="flow-node flow-{{ node.state }}" data-hop="{{ node.key }}" data-state="{{ node.state }}">
      <title>{{ node.title }}: {{ node.name }} ({{ node.state }}) {{ node.detail }}</title>
      <rect x="{{ node.x }}" y="{{ node.y }}" width="{{ flow.box }}" height="{{ flow.box_height }}" rx="8"/>
      <text x="{{ node.x|add:10 }}" y="{{ node.y|add:18 }}" class="flow-title">{{ node.title }} <tspan class="flow-name">{{ node.name }}</tspan></text>
      <text x="{{ node.x|add:10 }}" y="{{ node.y|add:35 }}" class="flow-detail">{{ node.detail }}</text>
    </g>
"""

FLOW = {"box": 250, "box_height": 44}
NODES = [
    Node("dns", "DNS", "cart.shop.example.com", "→ 10.0.0.7 · 12 ms", OK, x=8, y=70),
    Node("ingress", "Ingress", "a<b>&\"c'", "<script>alert(1)</script>", FAIL, x=1008, y=1234),
    Node("cert", "Certificate", "bücher-例え…", "", "unknown"),
]


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.key)
def test_a_box_is_the_markup_the_template_rendered(node):
    template = engines["django"].from_string(TEMPLATE_NODE)

    assert flow_node(node, FLOW) == template.render({"node": node, "flow": FLOW})


def test_text_is_escaped():
    html = flow_node(NODES[1], FLOW)

    assert "<script>" not in html and "&lt;script&gt;" in html and "a&lt;b&gt;&amp;&quot;c&#x27;" in html
